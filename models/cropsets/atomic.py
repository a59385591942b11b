"""Moved to :mod:`models.export.atomic` (the one owner of output folders); kept so that old imports work."""

from models.export.atomic import *  # noqa: F403
from models.export.atomic import __all__  # noqa: F401
