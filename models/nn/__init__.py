"""The PyTorch parts of the engine: frozen pretrained backbones and small learned heads.

Importing this package imports torch (about a second); the rest of ``models`` does not, so
the CLI and the app start fast and only pay for torch when a learned method is used.
"""
