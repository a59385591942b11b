"""Frozen entry of the CLI (``cropstudio``): the same as the console script ``models.cli.main:main``."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # models.cropsets.runner uses a process pool
    from models.cli.main import main

    sys.exit(main())
