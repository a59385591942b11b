"""Evaluation of cropping methods on the ``../shared/data`` benchmark sets (no Qt).

* :mod:`~models.eval.datasets` - read ``annotations.json`` / ``constraints.json`` folders;
* :mod:`~models.eval.metrics` - IoU, Disp (boundary displacement), ACC_K/N;
* :mod:`~models.eval.protocol` - :class:`CropRequest` and the :class:`CropMethod` protocol
  (``analyse`` once per image, ``crop`` once per target);
* :mod:`~models.eval.registry` - name -> factory registry; other packages register methods
  with :func:`register_method`, and :func:`available_methods` imports the plugin modules
  (``models.constraints.methods``) lazily;
* :mod:`~models.eval.baselines` - ``centred``, ``saliency-long``, ``saliency-short``,
  ``full-image`` (registered on import);
* :mod:`~models.eval.runner` - :func:`evaluate_constraints`, :func:`evaluate_annotations`.
"""

from models.eval import baselines as _baselines  # noqa: F401  (registers the baselines)
from models.eval.datasets import (
    AnnotatedImage,
    AnnotationSet,
    ConstraintItem,
    DatasetError,
    load_annotations,
    load_constraints,
)
from models.eval.metrics import acc_k_n, best_disp, best_iou, disp, iou
from models.eval.protocol import CropMethod, CropRequest
from models.eval.registry import METHODS, TASKS, available_methods, make_method, register_method
from models.eval.runner import AnnotationReport, ConstraintReport, evaluate_annotations, evaluate_constraints

__all__ = [
    "METHODS",
    "TASKS",
    "AnnotatedImage",
    "AnnotationReport",
    "AnnotationSet",
    "ConstraintItem",
    "ConstraintReport",
    "CropMethod",
    "CropRequest",
    "DatasetError",
    "acc_k_n",
    "available_methods",
    "best_disp",
    "best_iou",
    "disp",
    "evaluate_annotations",
    "evaluate_constraints",
    "iou",
    "load_annotations",
    "load_constraints",
    "make_method",
    "register_method",
]
