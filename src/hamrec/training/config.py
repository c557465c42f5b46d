"""The settings of a training job, written once: default, help text and check of every option.

``automated_training.py`` builds its options from :class:`LoopConfig`'s fields — the flag
``--max-classes-per-batch`` is the field ``max_classes_per_batch`` — and a training run's
:class:`~hamrec.training.run.RunConfig` takes its defaults from here, so no default is written
twice. Imports nothing heavy (``hamrec data inspect`` reads it without Keras).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import asdict, dataclass, field

from ..cli.args import fraction, non_negative_float, non_negative_int, positive_float, positive_int, rate
from ..data.cache import default_cache_dir


def option(default, help: str, type=None, **argparse_kw):
    """A config field that is also a command-line option (``help``, ``type`` and extra argparse keywords)."""
    return field(default=default, metadata={"help": help, "type": type, **argparse_kw})


@dataclass(frozen=True)
class LoopConfig:
    """Everything ``automated_training.py`` takes; ``--help`` prints each option with its default."""

    epochs: int = option(500, "Maximum epochs per training run", positive_int)
    steps_per_epoch: int = option(0, "Training batches per epoch (0: as many as one pass over the training recordings takes); "
                                  "on a large dataset a smaller number validates and checkpoints more often", non_negative_int)  # fmt: skip
    patience: int = option(20, "Epochs without a better val top-1 before early stopping (the seed had 30)", positive_int)
    lr: float = option(0.002, "Peak learning rate (after warm-up; plateaus cut it)", positive_float)
    include_datasets: tuple[str, ...] = option((), "Datasets to include: names under --data-root or paths. None given: the seed's "
                                               "datasets found under --data-root, else the built-in synthetic signs",
                                               nargs="+", metavar="NAME_OR_PATH")  # fmt: skip
    log_file: str = option("training_log.txt", "File to save training logs")
    restart: bool = option(True, "Restart a stalled run from its best weights with half the learning rate of the run before "
                           "(--no-restart: one run per class batch)")
    run_inference: bool = option(True, "Run inference and draw the results on the held-out split after training")
    gpu: bool = option(False, "Use a GPU if available")
    distribute: bool = option(False, "Data-parallel training over every device Keras sees (keras.distribution.DataParallel; needs "
                              "KERAS_BACKEND=jax); several hosts join through KERAS_DISTRIBUTION_* variables (README)")  # fmt: skip
    augment_factor: int = option(15, "Augmented versions per original recording (0: no augmentation)", non_negative_int)
    data_root: str = option("datasets", "Folder where named datasets live (a dataset NAME is DATA_ROOT/NAME)")
    model_dir: str = option("models/hamnosys/main_model", "Output folder for models, summary, logs and plots")
    max_classes_per_batch: int = option(15, "Classes added per training batch (0: all at once)", non_negative_int)
    accuracy_threshold: float = option(0.90, "Validation top-1 (fraction) that ends the automation: no more restarts, move to inference. "
                                       "Earlier class batches stop as soon as they reach it; the run over all classes trains on to "
                                       "early stopping", fraction)  # fmt: skip
    stop_at_threshold: bool = option(False, "Also stop the run over all classes as soon as it reaches --accuracy-threshold (faster, less accurate)")
    refit: bool = option(True, "Once early stopping has chosen the epochs of the run over all classes, train it once more from the same "
                         "start on training + validation recordings with the same learning rates, and deliver that model (needs a test split)")  # fmt: skip
    warmup_epochs: int = option(3, "Epochs of linear learning-rate warm-up at the start of every run", non_negative_int)
    plateau_patience: int = option(10, "Epochs without a better val top-1 before the learning rate is cut", positive_int)
    plateau_factor: float = option(0.5, "Factor applied to the learning rate on a plateau", fraction)
    min_lr: float = option(0.01, "Plateau cuts stop at this fraction of --lr", fraction)
    weight_decay: float = option(0.05, "AdamW weight decay", non_negative_float)
    average_epochs: float = option(2.0, "Validate, keep and deliver a moving average of the weights over about this many epochs "
                                   "(Polyak averaging: steadier from epoch to epoch than the weights themselves; 0: the weights themselves)",
                                   non_negative_float)  # fmt: skip
    seed: int = option(0, "Random seed for split, initialisation and augmentation", int)
    max_attempts: int = option(3, "Training runs per class batch, restarts included", positive_int)
    model_size: str = option("tiny", "Model size preset", choices=["tiny", "small", "base"])
    heads: int = option(12, "Attention heads per transformer block", positive_int)
    attention_dropout: float = option(0.1, "Dropout of the attention weights (at 0 the attention runs through the backend's fused kernel)", rate)
    seq_len: int = option(48, "Frames the model sees (longer recordings are resampled)", positive_int)
    centred_features: bool = option(True, "Add each channel minus its mean over the recording (unmoved by a per-channel offset: calibration, camera)")
    absolute_features: bool = option(True, "Use the (body-normalised) values themselves, which carry where a sign is made")
    dominant_right: bool = option(True, "Keypoints: mirror a recording whose left-hand slot moves more, so the dominant hand is always "
                                  "the right one and a left-handed signer's sign looks like a right-handed one's")  # fmt: skip
    face_features: bool = option(True, "Keypoints: when the training recordings carry MediaPipe face landmarks, use lips, eyes, brows and "
                                 "nose (relative to the face's centre) as features; recordings without a face have them missing")  # fmt: skip
    batch_size: int = option(64, "Recordings per gradient step", positive_int)
    prefetch: bool = option(True, "Where a core is free of the model's compute (a GPU, or OMP_NUM_THREADS below the cores), draw the next "
                            "training batch (augmentation and features) in a background thread while the model trains on this one; "
                            "the batches, and so the result, are the same as drawn in turn (--no-prefetch: always in turn)")  # fmt: skip
    min_samples: int = option(2, "Leave out classes with fewer recordings", positive_int)
    min_length: int = option(2, "Skip recordings with fewer frames", positive_int)
    focal_gamma: float = option(0.0, "Focal loss gamma (0 = cross-entropy; 2 = the usual focal loss)", non_negative_float)
    label_smoothing: float = option(0.1, "Label smoothing", non_negative_float)
    parameter_weight: float = option(0.2, "When the labels carry HamNoSys: the model also learns each sign's handshape, the non-dominant "
                                     "hand's shape, finger direction, palm, location, movement, symmetry and repetition, each head's "
                                     "loss weighted this much against the classes' (0: no such heads)", non_negative_float)  # fmt: skip
    parameter_pathways: bool = option(True, "Keypoints, with the HamNoSys heads: the handshape, finger-direction and palm heads read only each "
                                      "hand relative to its wrist, and the location head only the positions, each group through a small "
                                      "pathway of its own, so that they carry over to signs never trained on (--no-parameter-pathways: "
                                      "every head reads the classifier's features)")  # fmt: skip
    balance: bool = option(True, "Draw classes equally often")
    val_fraction: float = option(0.15, "Share of the groups held out for validation when --val-groups is not given", fraction)
    test_fraction: float = option(0.15, "Share of the groups held out for testing when --test-groups is not given (0: no test split)",
                                  non_negative_float)  # fmt: skip
    test_groups: tuple[str, ...] = option((), "Groups (signers/sessions, e.g. tctodd9) held out for testing", nargs="+", metavar="GROUP")
    val_groups: tuple[str, ...] = option((), "Groups held out for validation", nargs="+", metavar="GROUP")
    cache_dir: str | None = field(default_factory=lambda: str(default_cache_dir()),
                                  metadata={"help": "Where read recordings are cached"})  # fmt: skip
    stream: bool = option(True, "Keep the recordings in a store on disk (MODEL_DIR/.resume/store) and read each batch from it, so memory "
                          "does not grow with the dataset (--no-stream: hold them all in memory)")  # fmt: skip
    fresh: bool = option(False, "Discard an earlier training in --model-dir instead of resuming it", action="store_true")

    def fingerprint(self) -> dict:
        """The settings that define the job; resuming with different ones is refused.

        With them the rule that finds the dominant hand, which is no option but changed (session
        15): a job begun with the old rule would otherwise go on with the new one.
        """
        from ..features.extract import DOMINANT_RULE

        keys = ("include_datasets", "seed", "model_size", "heads", "seq_len", "centred_features", "absolute_features", "dominant_right", "face_features", "parameter_pathways", "max_classes_per_batch",
                "min_samples", "min_length", "val_fraction", "test_fraction", "test_groups", "val_groups")  # fmt: skip
        return {**{k: v for k, v in self.to_dict().items() if k in keys}, "dominant_by": DOMINANT_RULE}

    def to_dict(self) -> dict:
        """JSON-ready (tuples as lists), for the summary and the model's metadata."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def add_options(parser: argparse.ArgumentParser, cls=LoopConfig) -> None:
    """One ``--flag-name`` per field of ``cls``; booleans get ``--no-flag-name`` too."""
    for f in dataclasses.fields(cls):
        meta = dict(f.metadata)
        kw = {"help": meta.pop("help"), "dest": f.name}
        kind = meta.pop("type", None)
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()  # shown by --help as what it is here (the cache folder)
        if isinstance(default, bool) and "action" not in meta:
            kw["action"] = argparse.BooleanOptionalAction
        elif kind is not None:
            kw["type"] = kind
        kw["default"] = None if isinstance(default, tuple) and not default else default
        parser.add_argument("--" + f.name.replace("_", "-"), **kw, **meta)


def from_args(args: argparse.Namespace, **given) -> LoopConfig:
    """The config of parsed options; an option left at None keeps the field's default."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(LoopConfig) if getattr(args, f.name, None) is not None}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return LoopConfig(**{**values, **given})
