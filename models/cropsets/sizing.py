"""Moved to :mod:`models.export.sizing` (the one owner of output folders); kept so that old imports work."""

from models.export.sizing import *  # noqa: F403
from models.export.sizing import __all__  # noqa: F401
