"""Suggestions: ProCrop's ranked crops of the current image, and the panel of cards that shows them."""
