"""The editor's side panels: each renders the crop state and emits the user's intent."""
