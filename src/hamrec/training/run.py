"""One training run: ``model.fit`` with Keras callbacks, returning a structured result.

The automation loop decides what to do next from :class:`RunResult` alone — never by reading
printed text. A run that raises or produces NaN is a ``failed`` result with its reason, not an
accuracy of 0.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import keras

from .callbacks import AtomicBackup, AtomicCheckpoint, AveragedWeights, EpochTimes, PlainNames, Progress, ResumeState, StopAtThreshold, Warmup, parameter_accuracies, plain_names
from .config import LoopConfig


@dataclass(frozen=True)
class RunConfig:
    """Settings of one training run.

    Attributes:
        epochs: most epochs (``--epochs``).
        patience: epochs without a better val top-1 before early stopping (``--patience``).
        lr: peak learning rate (``--lr``).
        batch_size: recordings per gradient step.
        warmup_epochs: epochs of linear warm-up before ``ReduceLROnPlateau`` takes over.
        plateau_patience: epochs without a better val top-1 before the learning rate is cut.
        plateau_factor: what the learning rate is multiplied by on a plateau.
        min_lr: the plateau cuts stop at ``lr * min_lr``.
        stop_at: stop as soon as val top-1 reaches this (None: train to early stopping).
        lr_schedule: a refit: train exactly these epochs at these learning rates (one per
            epoch), with no validation and none of the callbacks that watch it.
    """

    epochs: int = LoopConfig.epochs
    patience: int = LoopConfig.patience
    lr: float = LoopConfig.lr
    batch_size: int = LoopConfig.batch_size
    warmup_epochs: int = LoopConfig.warmup_epochs
    plateau_patience: int = LoopConfig.plateau_patience
    plateau_factor: float = LoopConfig.plateau_factor
    min_lr: float = LoopConfig.min_lr
    stop_at: float | None = None
    lr_schedule: tuple[float, ...] | None = None

    @classmethod
    def of(cls, job: LoopConfig, **changes) -> "RunConfig":
        """The run settings of a job's config (fields of the same name), with ``changes``."""
        same = {f.name: getattr(job, f.name) for f in fields(cls) if hasattr(job, f.name)}
        return cls(**{**same, **changes})


@dataclass
class RunResult:
    """What happened in one run; stored in ``training_summary.json``.

    ``outcome`` is ``early_stopped``, ``threshold_reached``, ``max_epochs``, ``refit`` (a fixed
    schedule ran to its end) or ``failed``. Accuracies are fractions (0-1) on the validation
    split of the classes trained so far, for the best epoch (whose weights the model holds after
    the run); a refit trained on the validation split and has none. ``val_parameters``: a model
    with phonological heads' accuracy per HamNoSys parameter on the same recordings.
    """

    outcome: str
    epochs_run: int = 0
    early_stopped: bool = False
    best_epoch: int | None = None
    val_top1: float | None = None
    val_top2: float | None = None
    val_top3: float | None = None
    val_loss: float | None = None
    val_parameters: dict[str, float] | None = None
    wall_time: float = 0.0
    error: str | None = None
    history: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("history")
        return d


def train_run(
    model: keras.Model,
    train_data: keras.utils.PyDataset,
    val_data: keras.utils.PyDataset | None,
    cfg: RunConfig,
    csv_path: Path,
    backup_dir: Path,
    latest_path: Path | None = None,
    save_model: Callable[[keras.Model, Path], None] | None = None,
    log: Callable[[str], None] = print,
    prefix: str = "",
) -> RunResult:
    """Fit ``model`` (compiled) and return the result; the model ends with its best-epoch weights.

    ``backup_dir`` holds the backup state (:class:`AtomicBackup`, Keras' ``BackupAndRestore``): if a previous process died inside
    this run, fitting continues from its last finished epoch. The caller deletes it once the
    result is recorded.
    """
    if cfg.lr_schedule is not None:
        return _refit(model, train_data, cfg, csv_path, backup_dir, latest_path, save_model, log, prefix)
    early = keras.callbacks.EarlyStopping(monitor="val_top1", mode="max", patience=cfg.patience, restore_best_weights=True)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_top1", mode="max", factor=cfg.plateau_factor, patience=cfg.plateau_patience,
                                                min_lr=cfg.lr * cfg.min_lr)  # fmt: skip
    threshold = StopAtThreshold(cfg.stop_at) if cfg.stop_at is not None else None
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        Warmup(cfg.lr, cfg.warmup_epochs),
        plateau,
        early,
        keras.callbacks.CSVLogger(str(csv_path), append=True),
        Progress(prefix, log),
    ]
    if threshold:
        callbacks.append(threshold)
    start = time.time()
    state = ResumeState(backup_dir, early, plateau, threshold)
    hist = _fit(model, train_data, val_data, cfg.epochs, callbacks, backup_dir, state, latest_path, save_model, log, prefix)
    if isinstance(hist, RunResult):
        return hist
    epochs_run = state.epochs_done
    if early.best_weights is not None:
        model.set_weights(early.best_weights)  # Keras restores them only when it stops early, and not on a resume with no epoch left
    metrics = plain_names(model.evaluate(val_data, verbose=0, return_dict=True))
    if threshold and threshold.reached_epoch is not None:
        outcome = "threshold_reached"
    elif early.stopped_epoch:
        outcome = "early_stopped"
    else:
        outcome = "max_epochs"
    return RunResult(
        outcome,
        epochs_run=epochs_run,
        early_stopped=bool(early.stopped_epoch),
        best_epoch=(int(early.best_epoch) + 1) if early.best_epoch is not None and early.best_weights is not None else epochs_run,
        val_top1=float(metrics["top1"]),
        val_top2=float(metrics["top2"]),
        val_top3=float(metrics["top3"]),
        val_loss=float(metrics["loss"]),
        val_parameters=parameter_accuracies(metrics, prefix="") or None,
        wall_time=time.time() - start,
        history=hist,
    )


def _fit(model, train_data, val_data, epochs, callbacks, backup_dir, state, latest_path, save_model, log, prefix) -> dict | RunResult:
    """``model.fit`` with the callbacks every run has; the history, or a failed result.

    Keras' ``BackupAndRestore`` comes last, so that everything else about an epoch (the callbacks'
    state) is on disk before the backup says the epoch is done.
    """
    callbacks[:0] = [PlainNames(), EpochTimes()]  # first: every other callback (the CSV log) sees what they add
    if hasattr(train_data, "epoch"):  # the sampler's random stream follows fit's epoch, also after a resume
        callbacks.insert(0, keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs=None: setattr(train_data, "epoch", epoch)))
    if latest_path is not None and save_model is not None:
        callbacks.insert(0, AtomicCheckpoint(latest_path, save_model))  # first: its end of training sees the last epoch's weights
    callbacks += [state, AtomicBackup(str(backup_dir), save_freq="epoch", delete_checkpoint=False)]
    if getattr(model.optimizer, "use_ema", False):  # --average-epochs: the first to see an epoch's end, and back just before the backup
        averaged = AveragedWeights()
        callbacks.insert(0, averaged)
        callbacks.insert(len(callbacks) - 1, averaged.back)
    # BackupAndRestore tells fit where to resume through model._initial_epoch and Keras never clears
    # it: without this, every later run in a process that resumed one would start at that epoch
    model._initial_epoch = None
    # a run killed after its last epoch was backed up but before it was recorded had ended there:
    # resume it with no epoch left to train, instead of training on past its stop
    epochs = state.ended_after_backup() or epochs
    start = time.time()
    try:
        # shuffle=False: the sampler's batches are already random draws, and Keras' shuffle of their order
        # draws from Python's global generator, which a resumed process does not have at the same state
        history = model.fit(train_data, validation_data=val_data, epochs=epochs, callbacks=callbacks,
                            shuffle=False, verbose=0)  # fmt: skip
    except Exception as e:  # any failure of the run is reported, never mistaken for accuracy 0
        log(f"{prefix} failed: {type(e).__name__}: {e}")
        return RunResult("failed", wall_time=time.time() - start, error=f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")
    hist = history.history
    losses = hist.get("loss", [])
    if losses and not all(math.isfinite(v) for v in losses):
        return RunResult("failed", len(losses), wall_time=time.time() - start, error="loss became NaN or infinite (TerminateOnNaN)", history=hist)
    return hist


def _refit(model, train_data, cfg: RunConfig, csv_path, backup_dir, latest_path, save_model, log, prefix) -> RunResult:
    """Train for exactly ``cfg.lr_schedule`` (one learning rate per epoch); the model keeps its last weights."""
    schedule = list(cfg.lr_schedule)
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: float(schedule[epoch])),
        keras.callbacks.CSVLogger(str(csv_path), append=True),
        Progress(prefix, log),
    ]
    start = time.time()
    hist = _fit(model, train_data, None, len(schedule), callbacks, backup_dir, ResumeState(backup_dir), latest_path, save_model, log, prefix)
    if isinstance(hist, RunResult):
        return hist
    return RunResult("refit", epochs_run=len(schedule), best_epoch=len(schedule), wall_time=time.time() - start, history=hist)
