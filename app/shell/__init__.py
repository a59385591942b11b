"""The window's shell: keyboard shortcuts, their dialogs, the empty canvas (issue 19)."""
