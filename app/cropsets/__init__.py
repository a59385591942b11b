"""Crop sets: one image's crops for every target of a set, the project file, and the batch export."""
