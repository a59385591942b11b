"""Per-image crop states and their undo history.

:class:`CropSession` keeps one :class:`~app.editor.state.CropState` and one ``QUndoStack`` per image
(all in one ``QUndoGroup``, whose active stack is the current image's), so moving between
images keeps each image's crop, layout and history. Every user edit is a
:class:`StateCommand`: a snapshot of the state before and after, which undo and redo swap
back in. Consecutive edits with the same ``merge`` key (slider moves, nudges) merge into one
step. An engine answer that completes an edit (the constrained crop after a new keep region)
is folded into that edit with :meth:`CropSession.amend`, so one undo removes both.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from app.editor.state import CropState

__all__ = ["CropSession", "StateCommand", "UNDO_LIMIT", "image_key"]

log = logging.getLogger(__name__)

UNDO_LIMIT = 500  # steps kept per image
_MERGE_IDS: dict[str, int] = {}


def image_key(path: str | Path) -> Path:
    """The key of an image's state: its absolute path."""
    return Path(path).expanduser().absolute()


def _merge_id(merge: str | None) -> int:
    if merge is None:
        return -1
    return _MERGE_IDS.setdefault(merge, len(_MERGE_IDS) + 1)


class StateCommand(QUndoCommand):
    """Replace the state of image ``path``: ``redo`` sets ``after``, ``undo`` sets ``before``."""

    def __init__(
        self, session: CropSession, path: Path, before: CropState, after: CropState, text: str, merge: str | None
    ) -> None:
        super().__init__(text)
        self.session = session
        self.path = path
        self.before = before
        self.after = after
        self.merge = merge
        self._pushed = False

    def id(self) -> int:
        return _merge_id(self.merge)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, StateCommand) or other.path != self.path or other.merge != self.merge:
            return False
        self.after = other.after
        self.setText(other.text())
        return True

    def redo(self) -> None:
        why = "redo" if self._pushed else "edit"  # QUndoStack.push() calls redo() the first time
        self._pushed = True
        self.session._apply(self.path, self.after, why)

    def undo(self) -> None:
        self.session._apply(self.path, self.before, "undo")


class CropSession(QObject):
    """The crop states of every image seen, and which one is current."""

    state_changed = Signal(object, str)  # the current image's CropState; why: edit, undo, redo, switch, set

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_group = QUndoGroup(self)
        self._states: dict[Path, CropState] = {}
        self._stacks: dict[Path, QUndoStack] = {}
        self._current: Path | None = None

    # -- images -------------------------------------------------------------------------
    def activate(self, path: str | Path, initial: CropState) -> CropState:
        """Make ``path`` the current image: its kept state, or ``initial`` on a first visit."""
        key = image_key(path)
        if key not in self._states:
            self._states[key] = initial
            stack = QUndoStack(self)
            stack.setUndoLimit(UNDO_LIMIT)
            self._stacks[key] = stack
            self.undo_group.addStack(stack)
        self._current = key
        self.undo_group.setActiveStack(self._stacks[key])
        state = self._states[key]
        self.state_changed.emit(state, "switch")
        return state

    def current_path(self) -> Path | None:
        return self._current

    def state(self) -> CropState | None:
        """The current image's state."""
        return None if self._current is None else self._states[self._current]

    def state_of(self, path: str | Path) -> CropState | None:
        return self._states.get(image_key(path))

    def states(self) -> dict[Path, CropState]:
        """Every image's state, in the order they were first opened."""
        return dict(self._states)

    def undo_stack(self, path: str | Path | None = None) -> QUndoStack | None:
        key = self._current if path is None else image_key(path)
        return None if key is None else self._stacks.get(key)

    # -- changes --------------------------------------------------------------------------
    def edit(self, state: CropState, text: str, *, merge: str | None = None) -> StateCommand | None:
        """Apply ``state`` to the current image as one undoable step named ``text``; returns the
        step on the stack (an earlier one when the edit merged into it)."""
        current = self.state()
        if self._current is None or current is None or state == current:
            return None
        command = StateCommand(self, self._current, current, state, text, merge)
        stack = self._stacks[self._current]
        stack.push(command)  # push() calls redo(), which applies it
        top = stack.command(stack.count() - 1)  # the step it merged into, if it merged
        return top if isinstance(top, StateCommand) else command

    def amend(self, command: StateCommand, state: CropState) -> bool:
        """Fold ``state`` into ``command`` if it is still the newest step of the current image."""
        stack = self.undo_stack()
        if stack is None or command.path != self._current or stack.index() != stack.count():
            return False
        if stack.count() == 0 or stack.command(stack.count() - 1) is not command:
            return False
        command.after = state
        self._apply(command.path, state, "edit")
        return True

    def set_state(self, state: CropState) -> None:
        """Replace the current image's state without an undo step (a computed first crop)."""
        if self._current is not None:
            self._apply(self._current, state, "set")

    def set_state_of(self, path: str | Path, state: CropState) -> None:
        """Replace a known image's state without an undo step (settings read from a file)."""
        key = image_key(path)
        if key in self._states:
            self._apply(key, state, "set")

    def _apply(self, path: Path, state: CropState, why: str) -> None:
        self._states[path] = state
        if path == self._current:
            self.state_changed.emit(state, why)
        else:  # a stack is only active, so only undone, while its image is current
            log.debug("state of %s changed while not current (%s)", path.name, why)
