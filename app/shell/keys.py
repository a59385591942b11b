"""The keyboard shortcuts: one registry of actions and their default keys, the user's remapping.

Defaults follow Lightroom Classic's crop tool and darktable where they agree (R the crop
tool, A lock the ratio, X swap the orientation, O cycle the overlays and Shift+O rotate the
overlay, Enter commit, Esc revert, Ctrl+Alt+R reset the crop). Keep and avoid regions,
which neither program has, take K and Shift+K so they clash with none of these.

The user's keys live in ``QSettings`` under ``shortcuts/<id>`` (Preferences > Keyboard
Shortcuts); :func:`apply_keys` puts them on the actions and into their tooltips.
No widget is built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence

__all__ = ["SHORTCUTS", "Shortcut", "apply_keys", "clashes", "current_keys", "key_text", "save_keys", "with_key"]

_PREFIX = "shortcuts/"


@dataclass(frozen=True, slots=True)
class Shortcut:
    """An action the user can press: ``id`` (settings key), its menu ``text`` and default key."""

    id: str
    text: str
    default: str
    group: str


def _s(group: str, *rows: tuple[str, str, str]) -> tuple[Shortcut, ...]:
    return tuple(Shortcut(i, text, key, group) for i, text, key in rows)


SHORTCUTS: tuple[Shortcut, ...] = (
    *_s("File", ("open", "Open…", "Ctrl+O"), ("open_folder", "Open Folder…", "Ctrl+Shift+O"),
        ("export", "Export Crop…", "Ctrl+E"), ("export_all", "Export All Crops…", "Ctrl+Shift+E"),
        ("preferences", "Preferences…", "Ctrl+,"), ("quit", "Quit", "Ctrl+Q")),
    *_s("Crop", ("crop_tool", "Crop Tool", "R"), ("lock_ratio", "Lock / Unlock Ratio", "A"),
        ("swap", "Swap Orientation", "X"), ("commit", "Commit Crop", "Return"),
        ("preview", "Crop Preview", "P"), ("revert", "Revert Edit", "Esc"),
        ("reset_crop", "Reset to Automatic Crop", "Ctrl+Alt+R"), ("draw_keep", "Draw Keep Region", "K"),
        ("draw_avoid", "Draw Avoid Region", "Shift+K"), ("crop_to_layout", "Crop to Layout", "Ctrl+L"),
        ("delete_region", "Delete Region", "Del")),
    *_s("View", ("cycle_guides", "Next Overlay", "O"), ("rotate_guide", "Rotate Overlay", "Shift+O"),
        ("heat", "Attention Heat Map", "H"), ("fit", "Fit to Window", "Ctrl+0"),
        ("actual_size", "Actual Pixels", "Ctrl+1"), ("zoom_in", "Zoom In", "Ctrl++"),
        ("zoom_out", "Zoom Out", "Ctrl+-"), ("next_image", "Next Image", "PgDown"),
        ("previous_image", "Previous Image", "PgUp")),
    *_s("Help", ("shortcuts", "Keyboard Shortcuts", "Ctrl+/")),
)  # fmt: skip
"""Every remappable action, in the order the lists show them."""

_BY_ID = {s.id: s for s in SHORTCUTS}


def key_text(key: str | QKeySequence) -> str:
    """How a key reads on screen (``"Ctrl+Shift+E"``; ``""`` for none)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


def current_keys() -> dict[str, str]:
    """Each action's key: the user's where set (``""`` for none), else the default."""
    s = QSettings()
    out = {}
    for sc in SHORTCUTS:
        value = s.value(_PREFIX + sc.id, None)
        out[sc.id] = sc.default if value is None else str(value)
    return out


def clashes(keys: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``(key, action, action)`` for each key given to two actions (portable text compared)."""
    seen: dict[str, str] = {}
    out = []
    for sc in SHORTCUTS:
        key = QKeySequence(keys.get(sc.id, "")).toString()
        if not key:
            continue
        if key in seen:
            out.append((key, _BY_ID[seen[key]].text, sc.text))
        else:
            seen[key] = sc.id
    return out


def save_keys(keys: Mapping[str, str]) -> None:
    """Remember the user's keys (a default key is stored as no setting at all)."""
    s = QSettings()
    for sc in SHORTCUTS:
        key = QKeySequence(keys.get(sc.id, sc.default)).toString()
        if key == QKeySequence(sc.default).toString():
            s.remove(_PREFIX + sc.id)
        else:
            s.setValue(_PREFIX + sc.id, key)


def with_key(tip: str, key: str | QKeySequence) -> str:
    """``"Swap orientation (X)"``: a tooltip naming the key (``tip`` alone without one)."""
    text = key_text(key)
    return f"{tip} ({text})" if text else tip


def apply_keys(actions: Mapping[str, QAction], keys: Mapping[str, str] | None = None) -> None:
    """Give each action its key and a tooltip that names it (Enter also answers Return)."""
    keys = current_keys() if keys is None else keys
    for id_, action in actions.items():
        key = keys.get(id_, _BY_ID[id_].default if id_ in _BY_ID else "")
        sequences = [QKeySequence(key)] if key else []
        if key and QKeySequence(key).toString() == "Return":
            sequences.append(QKeySequence("Enter"))  # the keypad's
        action.setShortcuts(sequences)
        tip = action.statusTip() or action.text().replace("&", "").rstrip("…")
        action.setToolTip(with_key(tip, key))
