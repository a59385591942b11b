"""The one "request -> crop" contract of every product path (CLI, batch, GUI).

``analysis = analyse(image)`` once per image, then ``crop(analysis, Request(...))`` per
request: a :class:`CropResult` (box in whole pixels, score, violations, notes, heads left
out) or an :class:`InfeasibleCropError` naming the conflict. The subject rule
(:mod:`models.cropping.rule`) is applied here, for every method of :data:`METHODS`.
"""

from models.cropping.analysis import Analysis, analyse
from models.cropping.engine import crop, ranked, refit
from models.cropping.methods import METHODS, get_method, method_names, procrop_name
from models.cropping.request import MIN_CROP_SIDE, Request, check_aspect, check_request, validate_tau
from models.cropping.result import CropResult, InfeasibleCropError, violations

__all__ = [
    "METHODS",
    "MIN_CROP_SIDE",
    "Analysis",
    "CropResult",
    "InfeasibleCropError",
    "Request",
    "analyse",
    "check_aspect",
    "check_request",
    "crop",
    "get_method",
    "method_names",
    "procrop_name",
    "ranked",
    "refit",
    "validate_tau",
]
