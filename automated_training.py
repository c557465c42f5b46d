#!/usr/bin/env python
"""Seed-compatible entry point: ``python automated_training.py [options]`` (see ``--help``)."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from hamrec.cli.train import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
