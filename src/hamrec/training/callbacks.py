"""The few callbacks Keras does not ship. Everything else is Keras' own (see ``run.py``)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Callable

import keras
import numpy as np


class AtomicCheckpoint(keras.callbacks.Callback):
    """Save the model with its metadata, atomically: after an epoch at most every ``every`` seconds,
    and the last epoch's weights when fitting ends.

    Keras' ``ModelCheckpoint`` writes in place (a crash mid-write leaves a broken file) and
    cannot add our metadata to the archive; this one writes a temporary file and renames it.
    Resuming needs only the backup's state (:class:`AtomicBackup`), so this copy for the user need not
    be rewritten after every epoch: on a small dataset a save costs a tenth of an epoch. It
    must come before ``EarlyStopping`` among the callbacks, whose end of training puts the best
    weights back.
    """

    def __init__(self, path: str | Path, save: Callable[[keras.Model, Path], None], every: float = 30.0):
        super().__init__()
        self.path, self.save, self.every = Path(path), save, every
        self.saved_at, self.pending = -math.inf, False

    def on_epoch_end(self, epoch, logs=None):
        self.pending = time.monotonic() - self.saved_at < self.every
        if not self.pending:
            self.save(self.model, self.path)
            self.saved_at = time.monotonic()

    def on_train_end(self, logs=None):
        if self.pending:
            self.save(self.model, self.path)
            self.pending = False


class AtomicBackup(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` (weights, optimizer and epoch after every epoch), with a backup a kill cannot tear.

    Keras overwrites its weights file and then its metadata in place, so a process killed while
    writing leaves weights that cannot be loaded, or one epoch's weights with the epoch count of
    the one before. Here each epoch's weights go to a file of their own, flushed to disk; the
    metadata, written atomically, then names that file, and only then is the previous one
    removed. A backup written by Keras itself (``latest.weights.h5``) still loads.
    """

    def _save_model(self):
        from ..atomic import flush_to_disk, write_json

        folder = Path(self.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{self._current_epoch}.weights.h5"
        self.model.save_weights(str(folder / name), overwrite=True)
        flush_to_disk(folder / name)
        write_json(self._training_metadata_path, {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": name})
        for old in folder.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink()

    def _load_model(self):
        meta = Path(self._training_metadata_path)
        if not meta.is_file():
            return
        state = json.loads(meta.read_text())
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)  # its variables must exist to be loaded
        self.model.load_weights(str(Path(self.backup_dir) / state["weights"]) if "weights" in state else self._weights_path)  # else Keras' own
        self.model._initial_epoch = state["epoch"]


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


class AveragedWeights(keras.callbacks.Callback):
    """Validate, checkpoint and keep as best the optimizer's moving average of the weights; train the weights themselves.

    With ``use_ema`` the optimizer keeps an exponential moving average of the weights (Polyak
    averaging). From one epoch to the next the weights themselves move with the augmentation's
    draws, and validation top-1 with them by a few recordings; the average does not. So it is
    what validation scores (swapped in when validation begins, and left in: the epoch ends next),
    what early stopping keeps as best and the checkpoint saves (swapped in when an epoch without
    validation ends, this callback first in the list), and what
    ``fit`` leaves in the model at its end (Keras' ``finalize_variable_values``). :attr:`back`,
    placed just before the backup, swaps the weights themselves back, so that the backup holds
    the training state as it is and a resumed run goes on exactly as before.
    Keras' ``SwapEMAWeights`` cannot be used here: it would leave the average in the model when
    the backup is written.
    """

    def __init__(self):
        super().__init__()
        self.averaged_in = False
        self.back = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs=None: self._put(False))

    def _put(self, averaged: bool) -> None:
        if averaged == self.averaged_in:
            return
        opt = self.model.optimizer
        for var, average in zip(opt._trainable_variables, opt._model_variables_moving_average):
            own = keras.ops.convert_to_numpy(var)
            var.assign(average)
            average.assign(own)
        self.averaged_in = averaged

    def on_test_begin(self, logs=None):
        self._put(True)

    def on_epoch_end(self, epoch, logs=None):
        self._put(True)


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


def plain_names(logs: dict) -> dict:
    """``logs`` with the class head's top-k also under the names a single-output model logs them.

    Keras prefixes a multi-output model's metrics with the output's name (``val_classes_top1``);
    early stopping, the plateau, the threshold, the logs and the summary read ``val_top1``
    whatever the model, so they are copied there (``loss`` is already the total either way).
    """
    extra = {}
    for key, value in logs.items():
        for prefix in ("classes_", "val_classes_"):
            if key.startswith(prefix) and key[len(prefix) :] in ("top1", "top2", "top3"):
                extra[prefix[: -len("classes_")] + key[len(prefix) :]] = value
    return {**logs, **extra}


def parameter_accuracies(logs: dict, prefix: str = "val_") -> dict[str, float]:
    """parameter -> accuracy of a model with phonological heads, from Keras' ``<prefix>param_<name>_acc`` entries."""
    start, end = prefix + "param_", "_acc"
    return {k[len(start) : -len(end)]: float(v) for k, v in logs.items() if k.startswith(start) and k.endswith(end)}


class PlainNames(keras.callbacks.Callback):
    """Puts :func:`plain_names` into every epoch's logs; first in the list, so every other callback sees them."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(plain_names(logs))


class EpochTimes(keras.callbacks.Callback):
    """Puts where an epoch's training time went into its logs (and so into the run's CSV log):
    ``train_seconds`` from the epoch's start to the end of its last train step (drawing the
    batches and stepping, validation not included) and ``step_seconds`` the train steps alone.
    The difference is the time the model waited for data; ``bench/throughput.py`` reads both.
    On the torch backend a step has finished when it returns; on JAX, Keras turns each step's
    logs into numbers before this callback sees them, which waits for the step too.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.begin = self.last = time.perf_counter()
        self.steps = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self.step_begin = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter()
        self.steps += self.last - self.step_begin

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(train_seconds=self.last - self.begin, step_seconds=self.steps)


class Progress(keras.callbacks.Callback):
    """One line per epoch: run, epoch, metrics, learning rate, time, and the share of the
    epoch's training time spent waiting for data (:class:`EpochTimes`) — to the console and the run's log."""

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
        parameters = parameter_accuracies(logs)
        if parameters:  # the phonological heads, in short: handshape=0.97 location=0.91 ...
            shown += " val_parameters(" + " ".join(f"{p}={a:.2f}" for p, a in parameters.items()) + ")"
        waited = f", data {1 - logs['step_seconds'] / logs['train_seconds']:.0%}" if logs.get("train_seconds") else ""  # of the epoch's training time
        self.log(f"{self.prefix} epoch {epoch + 1}: {shown} lr={lr:.2e} ({time.time() - self.start:.0f}s{waited})")


def rng_states(model) -> list:
    """The seed generators' state variables (dropout, stochastic depth): the model's variables that are not weights, in the model's order."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def reseed(model, seed: int) -> None:
    """Start every seed generator of ``model`` from ``seed``, as at the start of a run.

    Loading weights does not touch them, so without this a run's dropout masks would depend on
    what the process did before (a job resumed between two runs would train the second on
    other masks than the uninterrupted job).
    """
    for i, v in enumerate(rng_states(model)):
        state = np.zeros(v.shape, keras.backend.standardize_dtype(v.dtype))  # Keras' layout: [seed, counter]
        state.flat[0] = np.random.default_rng([seed, i]).integers(1, 2**31 - 1)
        v.assign(state)


class ResumeState(keras.callbacks.Callback):
    """Keep the state of the callbacks that Keras' ``BackupAndRestore`` does not save, beside its backup.

    ``BackupAndRestore`` brings back the weights, the optimizer and the epoch; early stopping's
    best value, best epoch, best weights and wait counter, the plateau's best value, wait and
    cooldown, and the state of the random streams of dropout and stochastic depth (Keras saves
    no seed generator with the weights, and on torch its dropout draws from torch's global generator) would start over, and a resumed run would train on other
    masks, stop at another epoch and deliver other weights. This callback writes them after every epoch, before the backup itself (so it must
    stand just before ``BackupAndRestore`` in the list), keeping the last two epochs' states —
    a process killed between the two writes resumes at the earlier epoch — and puts back the
    state of the backup's last finished epoch when a resumed ``fit`` starts its first epoch.

    It also records whether the run stopped at that epoch (early stopping, the threshold): a
    process killed after a run's last epoch was backed up but before the run was recorded must
    not train on, so :meth:`ended_after_backup` tells ``fit`` to resume with no epoch left, and
    the state is put back when ``fit`` ends.
    """

    def __init__(self, folder: str | Path, early=None, plateau=None, threshold=None):
        super().__init__()
        self.folder, self.early, self.plateau, self.threshold = Path(folder), early, plateau, threshold
        self.epochs_done = 0  # finished epochs of the run, resumed ones included

    def backed_up_epochs(self) -> int:
        """Finished epochs according to ``BackupAndRestore``'s backup in the same folder (0: none)."""
        meta = self.folder / "training_metadata.json"
        try:
            return int(json.loads(meta.read_text())["epoch"])
        except (OSError, ValueError, KeyError):
            return 0

    def ended_after_backup(self) -> int | None:
        """The epoch count at which the backed-up run had already stopped, or None if it had not."""
        done = self.backed_up_epochs()
        state = self._state(done - 1)
        return done if done and state.is_file() and json.loads(state.read_text()).get("stopped") else None

    def _state(self, epoch: int) -> Path:
        return self.folder / f"callbacks-{epoch}.json"

    def _rng_states(self) -> list:
        return rng_states(self.model)

    def on_train_begin(self, logs=None):
        self.epochs_done = -1  # not started: the first on_epoch_begin tells where fit resumes

    def on_epoch_begin(self, epoch, logs=None):
        if self.epochs_done < 0:
            self._resume(epoch)

    def on_train_end(self, logs=None):
        if self.epochs_done < 0:  # fit resumed with no epoch left to train: the run had ended
            self._resume(self.model._initial_epoch or 0)

    def _resume(self, epoch: int) -> None:
        """Put back the state saved at the end of epoch ``epoch - 1`` (nothing for a run starting at 0)."""
        self.epochs_done = epoch
        if epoch and self._state(epoch - 1).is_file():
            state = json.loads(self._state(epoch - 1).read_text())
            if self.threshold is not None:
                self.threshold.reached_epoch = state.get("threshold_epoch")
            if self.early is not None:
                e = state["early"]
                self.early.best, self.early.best_epoch, self.early.wait = e["best"], e["best_epoch"], e["wait"]
                self.early.stopped_epoch = e.get("stopped_epoch", 0)
                if e["weights"]:
                    with np.load(self.folder / e["weights"]) as z:
                        self.early.best_weights = [z[f"w{i}"] for i in range(len(z.files))]
            if self.plateau is not None:
                r = state["plateau"]
                self.plateau.best, self.plateau.wait, self.plateau.cooldown_counter = r["best"], r["wait"], r["cooldown"]
            with np.load(self.folder / state["rng"]) as z:
                for i, v in enumerate(self._rng_states()):
                    v.assign(z[f"s{i}"])
                if "torch" in z.files:
                    import torch

                    torch.set_rng_state(torch.from_numpy(z["torch"]))

    def on_epoch_end(self, epoch, logs=None):
        from ..atomic import atomic_path, write_json

        self.epochs_done = epoch + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        # the callbacks before this one have decided whether the run stops here
        state: dict = {"epoch": epoch, "rng": f"rng-{epoch}.npz", "stopped": bool(self.model.stop_training)}
        if self.threshold is not None:
            state["threshold_epoch"] = self.threshold.reached_epoch
        rng = {f"s{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self._rng_states())}
        if keras.backend.backend() == "torch":  # Keras' unseeded dropout on torch draws from torch's global generator
            import torch

            rng["torch"] = torch.get_rng_state().numpy()
        with atomic_path(self.folder / state["rng"]) as tmp, open(tmp, "wb") as f:
            np.savez(f, **rng)
        if self.early is not None:
            weights = f"best-weights-{self.early.best_epoch}.npz" if self.early.best_weights is not None else None
            if weights and not (self.folder / weights).is_file():
                with atomic_path(self.folder / weights) as tmp, open(tmp, "wb") as f:
                    np.savez(f, **{f"w{i}": w for i, w in enumerate(self.early.best_weights)})
            state["early"] = {"best": float(self.early.best), "best_epoch": int(self.early.best_epoch), "wait": int(self.early.wait), "weights": weights,
                              "stopped_epoch": int(self.early.stopped_epoch)}
        if self.plateau is not None:
            state["plateau"] = {"best": float(self.plateau.best), "wait": int(self.plateau.wait), "cooldown": int(self.plateau.cooldown_counter)}
        write_json(self._state(epoch), state)
        self._state(epoch - 2).unlink(missing_ok=True)
        (self.folder / f"rng-{epoch - 2}.npz").unlink(missing_ok=True)
        kept = {(json.loads(p.read_text()).get("early") or {}).get("weights") for p in self.folder.glob("callbacks-*.json")}
        for p in self.folder.glob("best-weights-*.npz"):
            if p.name not in kept:
                p.unlink()
