"""The few callbacks Keras does not ship. Everything else is Keras' own (see ``run.py``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import keras


class AtomicCheckpoint(keras.callbacks.Callback):
    """Save the model after every epoch with its metadata, atomically.

    Keras' ``ModelCheckpoint`` writes in place (a crash mid-write leaves a broken file) and
    cannot add our metadata to the archive; this one writes a temporary file and renames it.
    """

    def __init__(self, path: str | Path, save: Callable[[keras.Model, Path], None]):
        super().__init__()
        self.path, self.save = Path(path), save

    def on_epoch_end(self, epoch, logs=None):
        self.save(self.model, self.path)


class Warmup(keras.callbacks.Callback):
    """Raise the learning rate linearly to its target over the first ``epochs`` epochs.

    Kept separate from the schedule so that ``ReduceLROnPlateau`` can take over afterwards.
    """

    def __init__(self, target: float, epochs: int):
        super().__init__()
        self.target, self.epochs = target, epochs

    def on_epoch_begin(self, epoch, logs=None):
        if epoch < self.epochs:
            self.model.optimizer.learning_rate = self.target * (epoch + 1) / (self.epochs + 1)
        elif epoch == self.epochs:
            self.model.optimizer.learning_rate = self.target


class StopAtThreshold(keras.callbacks.Callback):
    """Stop as soon as ``monitor`` reaches ``threshold`` (the loop's target for this batch)."""

    def __init__(self, threshold: float, monitor: str = "val_top1"):
        super().__init__()
        self.threshold, self.monitor = threshold, monitor
        self.reached_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self.reached_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if (logs or {}).get(self.monitor, 0.0) >= self.threshold:
            self.reached_epoch = epoch
            self.model.stop_training = True


class Progress(keras.callbacks.Callback):
    """One line per epoch: run, epoch, metrics, learning rate and time — to the console and the run's log."""

    def __init__(self, prefix: str, log: Callable[[str], None]):
        super().__init__()
        self.prefix, self.log = prefix, log
        self.epochs_seen = 0

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_seen += 1
        logs = logs or {}
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        shown = " ".join(f"{k}={logs[k]:.3f}" for k in ("loss", "top1", "val_loss", "val_top1", "val_top2", "val_top3") if k in logs)
        self.log(f"{self.prefix} epoch {epoch + 1}: {shown} lr={lr:.2e} ({time.time() - self.start:.0f}s)")
