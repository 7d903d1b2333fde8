"""``python -m simulator`` does what the ``pcsim`` command does."""

import multiprocessing
import sys

from simulator.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
