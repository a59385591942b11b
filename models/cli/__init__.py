"""The ``cropstudio`` command line. Output layer: the only place in models/ that prints."""
