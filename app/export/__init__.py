"""Export: the planning (through models.export), the flow with its questions, the dialog, and Export All (issue 19)."""
