"""Frozen entry of the GUI (``cropstudio-gui``): the same as the gui script ``app.main:main``."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.main import main

    sys.exit(main())
