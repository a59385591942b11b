"""Side panels of the main window: each renders state and emits the user's intent."""
