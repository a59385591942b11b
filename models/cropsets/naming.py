"""Moved to :mod:`models.export.naming` (the one owner of output folders); kept so that old imports work."""

from models.export.naming import *  # noqa: F403
from models.export.naming import __all__  # noqa: F401
