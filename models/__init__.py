"""Crop Studio engine: everything that is not GUI. Never imports Qt (see pyproject's import-linter contract)."""

__version__ = "0.1.0"
