"""User-facing errors of the engine.

Every error a user can cause (a bad file, a bad argument, a constraint that cannot be met)
is a :class:`CropStudioError` with a message meant to be shown as is. The CLI prints it and
exits non-zero; the GUI shows it in the status bar or a dialog. Anything else is a bug.
"""

from __future__ import annotations


class CropStudioError(Exception):
    """Base class of every error whose message is meant for the user."""


class InvalidInputError(CropStudioError, ValueError):
    """An argument or a value is malformed (a ratio, a box, an attention map, tau...)."""


class ImageReadError(CropStudioError):
    """A file is missing, unreadable, not an image, or an image too large to open."""


class InfeasibleError(CropStudioError):
    """The request is well formed but no crop satisfies it (e.g. no 3:1 box keeps 90 %)."""


class ExportError(CropStudioError):
    """A crop could not be written (target exists, folder missing, disk full...)."""
