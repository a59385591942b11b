"""Export All means all (issue 19): crops for images never opened, per-file conflicts, a summary."""
