"""The editor: one image's crop state, its undo history, the canvas, and the panels that edit it (aspect, attention, layout)."""
