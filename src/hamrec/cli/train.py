"""``automated_training.py`` / ``hamrec train``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..data.datasets import KNOWN_DATASETS, SEED_DEFAULT_DATASETS
from .args import fraction, non_negative_float, non_negative_int, positive_float, positive_int

EPILOG = """
An epoch is one class-balanced pass over the training recordings. --augment-factor F makes the
stream look like the seed's F-fold augmented set (1 original : F augmented versions), each
version drawn fresh, so F changes what the model sees, not how long an epoch takes.
"""


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Train a sign recognizer unattended: class batches, early stopping, "
                                "restarts, consolidation, then inference once top-1 reaches the threshold.", epilog=EPILOG,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    p.add_argument("--epochs", type=positive_int, default=500, help="Maximum epochs per training run")
    p.add_argument("--patience", type=positive_int, default=30, help="Epochs without a better val top-1 before early stopping")
    p.add_argument("--lr", type=positive_float, default=0.002, help="Peak learning rate (after warm-up; plateaus cut it)")
    p.add_argument("--include-datasets", nargs="+", metavar="NAME_OR_PATH", default=None,
                   help="Datasets to include: names under --data-root (" + ", ".join(KNOWN_DATASETS) + ") or paths. "
                   f"Default: {' '.join(SEED_DEFAULT_DATASETS)} when present under --data-root, else the built-in data")  # fmt: skip
    p.add_argument("--log-file", default="training_log.txt", help="File to save training logs")
    p.add_argument("--restart", action=argparse.BooleanOptionalAction, default=True,
                   help="Restart a stalled run from its best weights with a changed learning rate (--no-restart: one run per class batch)")
    p.add_argument("--run-inference", action=argparse.BooleanOptionalAction, default=True,
                   help="Run inference and draw the results on the held-out split after training")
    p.add_argument("--gpu", action=argparse.BooleanOptionalAction, default=False, help="Use a GPU if available")
    p.add_argument("--augment-factor", type=non_negative_int, default=15, help="Augmented versions per original recording (0: no augmentation)")
    p.add_argument("--data-root", default="datasets", help="Folder where named datasets live (a dataset NAME is DATA_ROOT/NAME)")
    p.add_argument("--model-dir", default="models/hamnosys/main_model", help="Output folder for models, summary, logs and plots")
    p.add_argument("--max-classes-per-batch", type=non_negative_int, default=15, help="Classes added per training batch (0: all at once)")
    p.add_argument("--accuracy-threshold", type=fraction, default=0.90,
                   help="Validation top-1 (fraction) that ends the automation: no more restarts, move to inference. Earlier class "
                   "batches stop as soon as they reach it; the run over all classes trains on to early stopping")
    p.add_argument("--stop-at-threshold", action=argparse.BooleanOptionalAction, default=False,
                   help="Also stop the run over all classes as soon as it reaches --accuracy-threshold (faster, less accurate)")
    p.add_argument("--refit", action=argparse.BooleanOptionalAction, default=True,
                   help="Once early stopping has chosen the epochs of the run over all classes, train it once more from the same start on "
                   "training + validation recordings with the same learning rates, and deliver that model (needs a test split)")
    p.add_argument("--warmup-epochs", type=non_negative_int, default=3, help="Epochs of linear learning-rate warm-up at the start of every run")
    p.add_argument("--plateau-patience", type=positive_int, default=10, help="Epochs without a better val top-1 before the learning rate is cut")
    p.add_argument("--plateau-factor", type=fraction, default=0.5, help="Factor applied to the learning rate on a plateau")
    p.add_argument("--min-lr", type=fraction, default=0.01, help="Plateau cuts stop at this fraction of --lr")
    p.add_argument("--weight-decay", type=non_negative_float, default=0.05, help="AdamW weight decay")
    p.add_argument("--seed", type=int, default=0, help="Random seed for split, initialisation and augmentation")
    p.add_argument("--max-attempts", type=positive_int, default=3, help="Training runs per class batch, restarts included")
    p.add_argument("--model-size", choices=["tiny", "small", "base"], default="tiny", help="Model size preset")
    p.add_argument("--heads", type=positive_int, default=12, help="Attention heads per transformer block")
    p.add_argument("--seq-len", type=positive_int, default=48, help="Frames the model sees (longer recordings are resampled)")
    p.add_argument("--centred-features", action=argparse.BooleanOptionalAction, default=True,
                   help="Add each channel minus its mean over the recording (unmoved by a per-channel offset: calibration, camera)")
    p.add_argument("--absolute-features", action=argparse.BooleanOptionalAction, default=True,
                   help="Use the (body-normalised) values themselves, which carry where a sign is made")
    p.add_argument("--batch-size", type=positive_int, default=64, help="Recordings per gradient step")
    p.add_argument("--min-samples", type=positive_int, default=2, help="Leave out classes with fewer recordings")
    p.add_argument("--min-length", type=positive_int, default=2, help="Skip recordings with fewer frames")
    p.add_argument("--focal-gamma", type=non_negative_float, default=0.0, help="Focal loss gamma (0 = cross-entropy; 2 = the usual focal loss)")
    p.add_argument("--label-smoothing", type=non_negative_float, default=0.1, help="Label smoothing")
    p.add_argument("--balance", action=argparse.BooleanOptionalAction, default=True, help="Draw classes equally often")
    p.add_argument("--test-groups", nargs="+", default=(), metavar="GROUP", help="Groups (signers/sessions, e.g. tctodd9) held out for testing")
    p.add_argument("--val-groups", nargs="+", default=(), metavar="GROUP", help="Groups held out for validation")
    p.add_argument("--cache-dir", default=None, help="Where read recordings are cached (default ~/.cache/hamrec/recordings)")
    p.add_argument("--fresh", action="store_true", help="Discard an earlier training in --model-dir instead of resuming it")
    return p


def choose_datasets(named: list[str] | None, data_root: str) -> tuple[list[str], str]:
    """The datasets to train on and a sentence saying why, for the first lines of output."""
    if named:
        return named, f"training on: {' '.join(named)}"
    present = [d for d in SEED_DEFAULT_DATASETS if (Path(data_root) / d).is_dir()]
    if present:
        return present, f"training on the default datasets found under {data_root}: {' '.join(present)}"
    return ["builtin"], (f"no --include-datasets given and none of {', '.join(SEED_DEFAULT_DATASETS)} under {data_root}/: "
                         "training on the BUILT-IN synthetic signs from HamNoSys (point --include-datasets at your recordings)")  # fmt: skip


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    datasets, why = choose_datasets(args.include_datasets, args.data_root)
    print(f"hamrec: {why}", flush=True)
    from ..data.cache import default_cache_dir
    from ..data.datasets import DatasetError
    from ..training.lock import DirectoryLocked
    from ..training.loop import LoopConfig, run_loop

    cfg = LoopConfig(
        datasets=tuple(datasets), data_root=args.data_root, model_dir=args.model_dir, log_file=args.log_file,
        epochs=args.epochs, patience=args.patience, lr=args.lr, warmup_epochs=args.warmup_epochs,
        plateau_patience=args.plateau_patience, plateau_factor=args.plateau_factor, min_lr=args.min_lr,
        weight_decay=args.weight_decay, augment_factor=args.augment_factor, max_classes_per_batch=args.max_classes_per_batch,
        accuracy_threshold=args.accuracy_threshold, stop_at_threshold=args.stop_at_threshold, refit=args.refit,
        restart=args.restart, max_attempts=args.max_attempts, run_inference=args.run_inference, gpu=args.gpu,
        seed=args.seed, preset=args.model_size, heads=args.heads, seq_len=args.seq_len, centred=args.centred_features,
        absolute=args.absolute_features, batch_size=args.batch_size,
        min_samples=args.min_samples, min_length=args.min_length, gamma=args.focal_gamma,
        label_smoothing=args.label_smoothing, balance=args.balance, test_groups=tuple(args.test_groups),
        val_groups=tuple(args.val_groups), cache_dir=args.cache_dir or str(default_cache_dir()), fresh=args.fresh,
    )  # fmt: skip
    try:
        summary = run_loop(cfg)
    except (DatasetError, DirectoryLocked, ValueError) as e:
        print(f"hamrec: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nhamrec: interrupted; run the same command again to continue where it stopped", file=sys.stderr)
        return 130
    return 0 if summary.get("status") == "finished" else 1
