#!/usr/bin/env python
"""Seed-compatible entry point: ``python inference_hamnosys.py --model-path .../best_model.keras --visualize``."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from hamrec.cli.infer import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
