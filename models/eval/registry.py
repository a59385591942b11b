"""Which cropping methods the evaluation can run: a name -> factory registry with plugins.

:data:`METHODS` maps a method's name to a zero-argument factory returning a
:class:`~models.eval.protocol.CropMethod`. The built-in baselines register themselves when
:mod:`models.eval.baselines` is imported. Another package adds its methods by calling
:func:`register_method` at import time, in a module listed in :data:`PLUGINS`::

    # models/constraints/methods.py
    from models.eval.registry import register_method
    register_method("heatmap", HeatmapMethod, tasks=("constraints",))

:func:`available_methods` (and :func:`make_method`) import the plugin modules first, lazily,
so ``import models.eval`` never imports them and a plugin that does not exist yet (or cannot
be imported) only removes its methods from the list.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Literal

from models.errors import InvalidInputError
from models.eval.protocol import CropMethod

__all__ = ["METHODS", "PLUGINS", "TASKS", "Task", "available_methods", "make_method", "register_method"]

log = logging.getLogger(__name__)

Task = Literal["constraints", "annotations"]
TASKS: tuple[Task, ...] = ("constraints", "annotations")
"""``constraints``: items with a ratio and a layout box; ``annotations``: free crops of whole images."""

PLUGINS: tuple[str, ...] = ("models.eval.baselines", "models.constraints.methods", "models.procrop.method")
"""Modules imported by :func:`available_methods` so that their registrations happen."""

METHODS: dict[str, Callable[[], CropMethod]] = {}
"""Method name -> factory. Fill it through :func:`register_method`."""

_TASKS_OF: dict[str, tuple[Task, ...]] = {}
_ON_REQUEST: set[str] = set()  # run only when named (slow variants)
_loaded: set[str] = set()


def register_method(
    name: str, factory: Callable[[], CropMethod], *, tasks: Iterable[Task] = TASKS, by_default: bool = True
) -> None:
    """Make a method available to the evaluation under ``name``.

    Parameters
    ----------
    name : str
        Unique, non-empty, without spaces (it is typed on the command line).
    factory : callable
        Called with no argument, returns a fresh :class:`~models.eval.protocol.CropMethod`.
    tasks : iterable of {"constraints", "annotations"}
        The tasks the method is run on by default (it can be asked for by name on any).
    by_default : bool
        False for a method that runs only when named (e.g. a slow variant).

    Raises
    ------
    InvalidInputError
        A bad name or task, or ``name`` already registered with another factory.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise InvalidInputError(f"method name must be a non-empty string without spaces, got {name!r}")
    if not callable(factory):
        raise InvalidInputError(f"factory of method {name!r} must be callable, got {factory!r}")
    tasks = tuple(tasks)
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise InvalidInputError(f"tasks of method {name!r} must be among {', '.join(TASKS)}, got {tasks!r}")
    if name in METHODS and METHODS[name] is not factory:
        raise InvalidInputError(f"a method named {name!r} is already registered")
    METHODS[name] = factory
    _TASKS_OF[name] = tasks
    if not by_default:
        _ON_REQUEST.add(name)
    log.debug("registered method %s for %s", name, ", ".join(tasks))


def load_plugins() -> None:
    """Import the :data:`PLUGINS` modules once; a missing module is skipped, a broken one logged."""
    for module in PLUGINS:
        if module in _loaded:
            continue
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # The plugin itself (or its package) is absent: normal while it is not written yet.
            if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
                log.debug("method plugin %s not present", module)
            else:
                log.warning("method plugin %s cannot be imported: %s", module, exc)
        except ImportError as exc:
            log.warning("method plugin %s cannot be imported: %s", module, exc)
        _loaded.add(module)


def available_methods(task: Task | None = None, *, defaults_only: bool = False) -> tuple[str, ...]:
    """Names of the registered methods (for ``task`` only, when given; without the
    run-on-request ones when ``defaults_only``), after loading plugins."""
    load_plugins()
    return tuple(
        name
        for name in METHODS
        if (task is None or task in _TASKS_OF[name]) and not (defaults_only and name in _ON_REQUEST)
    )


def make_method(name: str) -> CropMethod:
    """A fresh instance of the method registered as ``name``.

    Raises
    ------
    InvalidInputError
        No such method; the message lists the available ones.
    """
    load_plugins()
    if name not in METHODS:
        raise InvalidInputError(f"unknown method {name!r}; available: {', '.join(sorted(METHODS)) or 'none'}")
    return METHODS[name]()
