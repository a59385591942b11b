"""Crop Studio GUI (PySide6).

The GUI only renders state and turns the user's intent into engine calls; every engine call
(``models``) runs in a worker thread (:mod:`app.common.workers`), never on the GUI thread.
"""
