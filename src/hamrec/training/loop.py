"""The automation loop behind ``automated_training.py``.

Reads the data once, splits it by group, cuts the label space into class batches and trains
batch after batch — each batch adds its classes and rehearses the earlier ones, starting from
the best weights so far — restarting stalled runs with half the learning rate, keeping only
``best_model.keras`` and ``latest_model.keras``, and moving to inference once top-1 reaches
the threshold. Every decision comes from structured run results, and everything needed to
continue after a crash is on disk, so the same command resumes.
"""

from __future__ import annotations

import collections
import json
import shutil
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..atomic import write_json
from ..data.augment import AugmentConfig
from ..data.cache import RecordingCache
from ..data.datasets import DatasetError, skipped_line
from ..contract import ModelContract
from ..data.index import DatasetIndex, build_index, check_no_leak, class_batches, make_split
from ..data.store import StoreWriter
from ..features import FeatureSpec, Normalizer, has_face, prepare_chunks
from ..features.extract import DOMINANT_RULE
from ..model_dir import BEST, LATEST, LOGS, RESUME, SUMMARY, VIS
from .config import LoopConfig
from .lock import DirLock
from .logs import MAIN, job_logging, log, run_logging
from .summary import Summary



@dataclass
class Job:
    """The data side of a training job, fixed before the first run.

    ``contract`` is what every saved model carries (labels, features, normalisation, split);
    a batch's model gets it with the classes trained so far.
    """

    index: DatasetIndex
    split: dict[str, str]
    contract: ModelContract
    plan: list[list[str]]

    def samples(self, split: str, classes: set[str] | None = None):
        return [s for s in self.index.samples if self.split[s.path] == split and (classes is None or s.label in classes)]

    @property
    def class_ids(self) -> dict[str, int]:
        """Class -> output index, over the whole label space."""
        return {c: i for i, c in enumerate(self.index.classes)}

    def build_model(self, cfg: LoopConfig):
        """The job's untrained model: ``--model-size`` with ``--heads``, and where the labels carry HamNoSys
        the phonological heads (with their own pathways unless ``--no-parameter-pathways``); its
        configuration goes into the contract every saved model carries."""
        from ..model.builder import PRESETS, build_model

        model_cfg = replace(PRESETS[cfg.model_size], heads=cfg.heads, attention_dropout=cfg.attention_dropout)
        self.contract.info["model_config"] = model_cfg.to_dict()
        heads = {p: len(values) for p, values in self.contract.info.get("parameters", {}).items()}
        groups = self.contract.spec.parameter_groups() if heads and cfg.parameter_pathways else None
        return build_model(self.contract.spec.seq_len, self.contract.spec.num_features, len(self.index.classes), model_cfg, heads, groups)

    @staticmethod
    def compile_model(model, cfg: LoopConfig, lr: float, steps: int) -> None:
        """Compile ``model`` as every run and refit of a job is compiled: the CLI's loss (focal γ, label
        smoothing), weight decay and phonological-head weight, starting at learning rate ``lr``; with
        ``--average-epochs``, a moving average of the weights over that many epochs of ``steps`` steps."""
        from ..model.builder import compile_model

        compile_model(model, lr, cfg.focal_gamma, cfg.label_smoothing, cfg.weight_decay, cfg.parameter_weight, cfg.average_epochs * steps)

    def sampler(self, samples, cfg: LoopConfig, seed: int):
        """The augmenting, class-balanced training stream over ``samples`` (this host's share of it, on several)."""
        from .distribute import batch_multiple, process
        from .pipeline import AugmentedSampler

        return AugmentedSampler(
            self.index.recordings(samples), [s.label for s in samples], self.class_ids, self.contract,
            batch_size=cfg.batch_size, augment_factor=cfg.augment_factor, augment_cfg=AugmentConfig(), balance=cfg.balance, seed=seed,
            steps=cfg.steps_per_epoch, multiple=batch_multiple(), host=process()[0], prefetch=prefetches(cfg),
        )  # fmt: skip

    def validation(self, samples):
        """The validation data of a run over ``samples``: unaugmented batches, encoded when asked for."""
        from .distribute import batch_multiple, eval_batch_size
        from .pipeline import EncodedBatches

        return EncodedBatches(self.index.recordings(samples), [s.label for s in samples], self.class_ids, self.contract,
                              batch_size=eval_batch_size(), multiple=batch_multiple())  # fmt: skip


def _load_weights(model, path: Path) -> None:
    """Load ``path``'s weights into ``model`` between runs. Every run compiles a new optimizer,
    so the optimizer state a weights file holds (none, for the start of the first run) does not
    matter here, and Keras' warning that it does not match the model's is noise to the user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(path)


def prefetches(cfg: LoopConfig) -> bool:
    """Whether training batches are drawn ahead in a background thread: ``--prefetch`` and a core free of the model's compute."""
    from ..backend import spare_core

    return cfg.prefetch and spare_core()


#: how many skipped files the console names before it points to skipped_files.json
SHOWN_SKIPPED = 10


def prepare_job(cfg: LoopConfig, model_dir: Path, say: Callable[[str], None]) -> Job:
    """Read the data, make (or reload) the split, fit normalisation on the training split."""
    store = StoreWriter(model_dir / RESUME / "store") if cfg.stream else None
    index = build_index(list(cfg.include_datasets), cfg.data_root, RecordingCache(cfg.cache_dir), cfg.min_samples, cfg.min_length, say, store)
    split_file = model_dir / RESUME / "split.json"
    if split_file.is_file():
        split = json.loads(split_file.read_text())
        missing = [s.path for s in index.samples if s.path not in split]
        if missing:
            raise DatasetError(f"{split_file}: {len(missing)} recordings are not in the saved split (e.g. {missing[0]}); the data changed — use --fresh")
    else:
        split = make_split(index.samples, cfg.seed, cfg.val_fraction, cfg.test_fraction, list(cfg.test_groups) or None, list(cfg.val_groups) or None)
        write_json(split_file, split)
    check_no_leak(index.samples, split)
    counts = collections.Counter(split[s.path] for s in index.samples)
    groups = {sp: sorted({s.group for s in index.samples if split[s.path] == sp}) for sp in ("val", "test")}
    say(f"split by group: {dict(counts)}; val groups {_short(groups['val'])}; test groups {_short(groups['test'])}")
    if not counts.get("val"):
        raise DatasetError("the validation split is empty: too few groups or recordings; add data or set --val-groups")
    layout, points, dims = index.layout
    train = [s for s in index.samples if split[s.path] == "train"]
    trainable = sorted({s.label for s in train})
    if len(trainable) < 2:
        where = "in the data" if len(index.classes) < 2 else "in the training split"
        which = f"only one class ({trainable[0]}) has" if trainable else "no class has"
        raise DatasetError(f"{which} training recordings {where} ({', '.join(cfg.include_datasets)}); "
                           "expected at least 2 classes to tell apart (each a folder <label>/ or files named <label>-<n>)")  # fmt: skip
    face = cfg.face_features and any(has_face(seq) for seq in index.recordings(train))
    spec = FeatureSpec(layout, points, dims, seq_len=cfg.seq_len, centred=cfg.centred_features, absolute=cfg.absolute_features,
                       dominant_right=cfg.dominant_right, dominant_by=DOMINANT_RULE, face=face)  # fmt: skip
    if face:
        with_face = sum(has_face(seq) for seq in index.recordings(index.samples))
        say(f"face landmarks in {with_face} of {len(index.samples)} recordings: lips, eyes, brows and nose are features (--no-face-features: leave them out)")
    normalizer = Normalizer.fit_chunks((x, mask) for _, x, mask in prepare_chunks(index.recordings(train), spec))
    untrained = sorted(set(index.classes) - set(trainable))
    if untrained:
        say(f"warning: {len(untrained)} classes have no training recordings after the split and cannot be learned: {_short(untrained)}")
    plan = class_batches(index.classes, cfg.max_classes_per_batch)
    by_split = collections.defaultdict(list)
    for s in index.samples:
        by_split[split[s.path]].append({"path": s.path, "label": s.label, "group": s.group})
    info = {"datasets": list(cfg.include_datasets), "training_config": cfg.to_dict(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    noted = [c for c in trainable if "parameters" in index.label_info.get(c, {})]
    if noted and cfg.parameter_weight > 0:
        from ..hamnosys.parameters import VOCABULARIES

        info["parameters"] = {p: list(values) for p, values in VOCABULARIES.items()}
        say(f"HamNoSys of {len(noted)} of {len(trainable)} classes: the model also learns {', '.join(VOCABULARIES)} "
            f"(loss weight {cfg.parameter_weight} each; --parameter-weight 0: classes only)")  # fmt: skip
    return Job(index, split, ModelContract(index.classes, index.label_info, spec, normalizer, dict(by_split), None, info), plan)


def _short(items: list, n: int = 8) -> str:
    return ", ".join(map(str, items[:n])) + (f" … (+{len(items) - n})" if len(items) > n else "")


def decide(result: dict, attempt: int, cfg: LoopConfig, target: float) -> str:
    """``next_batch`` or ``restart`` after a run, from its recorded result alone."""
    reached = result["outcome"] != "failed" and (result.get("val_top1") or 0.0) >= target
    if reached or not cfg.restart or attempt + 1 >= cfg.max_attempts:
        return "next_batch"
    return "restart"


def becomes_best(record: dict, best: dict | None) -> bool:
    """Whether a finished run replaces the best model so far: more classes wins, then a higher val top-1."""
    if record["outcome"] == "failed":
        return False
    return best is None or record["classes"] > best["classes"] or (record["classes"] == best["classes"] and record["val_top1"] > best["val_top1"])


def run_loop(cfg: LoopConfig, echo: Callable[[str], None] | None = None, train_fn=None) -> dict:
    """Train to the threshold (or until the plan is exhausted); return the summary dict.

    ``echo`` replaces printing to the console; ``train_fn`` replaces
    :func:`hamrec.training.run.train_run` in tests that script results.
    """
    model_dir = Path(cfg.model_dir)
    if cfg.fresh and model_dir.exists():
        for name in (BEST, LATEST, SUMMARY, LOGS, VIS, RESUME):
            p = model_dir / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    model_dir.mkdir(parents=True, exist_ok=True)
    with DirLock(model_dir):
        for stale in model_dir.rglob(".*.tmp*"):  # left by a process killed inside an atomic write; we hold the lock
            stale.unlink()
        with job_logging(Path(cfg.log_file), echo):
            return _run_locked(cfg, model_dir, train_fn)


def _run_locked(cfg: LoopConfig, model_dir: Path, train_fn) -> dict:
    from .. import backend

    backend.configure(gpu=cfg.gpu)
    import keras

    from . import distribute

    parallel = distribute.setup(cfg.distribute)  # several hosts join before anything starts JAX's devices
    device = backend.device(gpu=cfg.gpu)
    distribute.check_batch_size(cfg.batch_size)

    from .run import train_run

    train_fn = train_fn or train_run
    summary = Summary.load_or_new(model_dir, cfg.fingerprint())
    resumed = bool(summary.data["training_runs"])
    log.info(f"hamrec training in {model_dir} on {device}" + (f", {parallel}" if parallel else "") + (f" — resuming after {len(summary.data['training_runs'])} finished runs" if resumed else ""), extra=MAIN)
    (model_dir / LOGS).mkdir(exist_ok=True)
    (model_dir / VIS).mkdir(exist_ok=True)
    job = prepare_job(cfg, model_dir, log.info)
    write_json(model_dir / LOGS / "skipped_files.json", job.index.skipped)
    for item in job.index.skipped[:SHOWN_SKIPPED]:
        log.info(f"skipped {skipped_line(item)}")
    if job.index.skipped:
        more = len(job.index.skipped) - SHOWN_SKIPPED
        log.info((f"… and {more} more; " if more > 0 else "") + f"{len(job.index.skipped)} skipped in all (files, or classes with too few "
                 f"recordings), listed in {model_dir / LOGS / 'skipped_files.json'}")  # fmt: skip
    log.info(f"{len(job.index.samples)} recordings, {len(job.index.classes)} classes in {len(job.plan)} batch(es) of at most "
             f"{cfg.max_classes_per_batch or len(job.index.classes)}; features {job.contract.spec.num_features} x {job.contract.spec.seq_len} frames", extra=MAIN)  # fmt: skip
    if prefetches(cfg):
        log.info("training batches are drawn ahead in a background thread while the model trains (a core is free of its compute; --no-prefetch: in turn)", extra=MAIN)
    elif cfg.prefetch:
        log.info("training batches are drawn in turn between train steps: the model's threads use every core (with OMP_NUM_THREADS below the "
                 "cores, or on a GPU, a background thread draws them ahead)", extra=MAIN)  # fmt: skip
    summary.data["plan"] = job.plan
    summary.data["skipped_files"] = len(job.index.skipped)
    summary.save()

    keras.utils.set_random_seed(cfg.seed)
    model = job.build_model(cfg)
    best_path = model_dir / BEST
    seen: list[str] = []

    for b, batch_classes in enumerate(job.plan):
        seen = seen + batch_classes
        val_s = job.samples("val", set(seen))
        val_data = job.validation(val_s)

        attempt, lr = 0, cfg.lr
        while True:
            run_id = f"batch{b + 1:02d}-attempt{attempt + 1}"
            record = summary.run(run_id)
            if record is None:
                if not val_s:
                    log.info(f"{run_id}: no validation recordings for these classes; skipping the batch", extra=MAIN)
                    break
                record = _attempt(cfg, model_dir, job, summary, model, train_fn, run_id, b, attempt, lr, seen, batch_classes, val_data)
            step = decide(record, attempt, cfg, cfg.accuracy_threshold)
            if step == "restart":
                attempt += 1
                lr = cfg.lr * 0.5**attempt
                if summary.run(f"batch{b + 1:02d}-attempt{attempt + 1}") is None:
                    log.info(f"{run_id} stalled below {cfg.accuracy_threshold:.0%}: restarting from the best weights with lr {lr:.2e}", extra=MAIN)
                continue
            break

    _calibrate_open_set(model_dir, job, summary, model)
    if cfg.refit:
        _refit(cfg, model_dir, job, summary, model, train_fn)
    _deliver_open_set(best_path, job, summary)
    return _finish(cfg, model_dir, job, summary, best_path)


def _calibrate_open_set(model_dir: Path, job: Job, summary: Summary, model) -> None:
    """Choose the "known sign" threshold on the validation split with the chosen run's model, once (a resume keeps it).

    The chosen run did not train on the validation recordings, so they stand for new recordings
    of known signs; a refit trains on them, which is why this comes first. Its class statistics
    come from the training split, the recordings that model trained on (:mod:`..inference.open_set`).
    """
    from ..inference.open_set import calibrate, distance_score, spread
    from ..inference.predict import Recognizer

    best = summary.data["best_model"]
    if "open_set" in summary.data or best is None or best.get("refit_of") or best["classes"] < len(job.index.classes):
        return
    val_s = job.samples("val")
    if not val_s:
        return
    _load_weights(model, model_dir / BEST)
    rec = Recognizer(model, job.contract)
    train_s = job.samples("train")
    stats = _class_statistics(rec, job, train_s)
    scores = distance_score(rec.pooled_features(job.index.recordings(val_s)), *stats)
    in_sample = distance_score(rec.pooled_features(job.index.recordings(train_s)), *stats)
    summary.data["open_set"] = {**calibrate(scores), "in_sample": spread(in_sample), "chosen_by": best["run_id"]}
    summary.save()
    log.info(f"open set: a recording counts as a known sign when its score reaches {summary.data['open_set']['threshold']:.3f}, "
             f"which {summary.data['open_set']['val_accepted']:.1%} of the {len(val_s)} validation recordings do", extra=MAIN)  # fmt: skip


def _class_statistics(rec, job: Job, samples: list) -> tuple:
    """The :func:`~hamrec.inference.open_set.fit_distance` statistics of ``samples`` (un-augmented) under ``rec``'s model."""
    from ..inference.open_set import fit_distance

    ids = job.class_ids
    return fit_distance(rec.pooled_features(job.index.recordings(samples)), [ids[s.label] for s in samples], len(ids))


def _deliver_open_set(best_path: Path, job: Job, summary: Summary) -> None:
    """Give the delivered model its open-set answer: the ``known`` output, fitted on the recordings it trained on, and the threshold.

    Whichever run saved the model (the chosen one, or its refit on train + val), the statistics
    are those of its own training recordings, and the threshold keeps its place among their
    scores (:func:`~hamrec.inference.open_set.transfer`), so it means the same for both. Done
    once; a resume finds it done (``chosen_by`` and ``calibrated_threshold`` stay as calibrated).
    """
    from ..inference.open_set import SCORE, distance_score, transfer
    from ..inference.predict import Recognizer
    from ..model.builder import with_known

    open_set = summary.data.get("open_set")
    if not open_set or not best_path.is_file():
        return
    delivered = ModelContract.read(best_path).info.get("open_set") or {}
    if delivered.get("chosen_by") == open_set.get("chosen_by") and delivered.get("calibrated_threshold", delivered.get("threshold")) == open_set["threshold"]:
        return
    model, contract = ModelContract.load(best_path)
    if open_set["score"] != SCORE:  # a job calibrated by an earlier hamrec (negative entropy): the threshold is all it needs
        contract.info["open_set"] = open_set
        contract.write_into(best_path)
        return
    samples = [s for split in contract.info.get("trained_on", ["train"]) for s in job.samples(split)]
    rec = Recognizer(model, contract)
    stats = _class_statistics(rec, job, samples)
    contract.info["open_set"] = transfer(open_set, distance_score(rec.pooled_features(job.index.recordings(samples)), *stats))
    contract.save(with_known(model, *stats), best_path)
    log.info(f"the delivered model answers 'unknown' below the threshold; its class statistics come from its {len(samples)} training recordings", extra=MAIN)


def _attempt(cfg: LoopConfig, model_dir: Path, job: Job, summary: Summary, model, train_fn, run_id: str, b: int, attempt: int, lr: float,
             seen: list[str], batch_classes: list[str], val_data) -> dict:  # fmt: skip
    """One training run of class batch ``b``: from the best weights so far, recorded in the summary; returns its record."""
    import keras

    from .callbacks import reseed
    from .run import RunConfig

    best_path = model_dir / BEST
    if best_path.is_file():
        _load_weights(model, best_path)  # continue from the best weights so far
    last = len(seen) == len(job.index.classes)
    if last:  # where a refit of this run would start from
        model.save_weights(_start_weights(model_dir, run_id))
    seed = cfg.seed + 1000 * b + attempt
    keras.utils.set_random_seed(seed)
    reseed(model, seed)
    train_s = job.samples("train", set(seen))
    save = replace(job.contract, classes_trained=seen).save
    with run_logging(model_dir / LOGS / f"{run_id}.log"):
        log.info(f"{run_id}: {len(seen)} classes ({len(batch_classes)} new), {len(train_s)} train / {len(job.samples('val', set(seen)))} val recordings, lr {lr:.2e}",
                 extra=MAIN)  # fmt: skip
        data = job.sampler(train_s, cfg, seed)
        job.compile_model(model, cfg, lr, len(data))
        # earlier class batches are stepping stones and stop at the threshold; the run over all
        # classes is the delivered model and trains on to early stopping (unless --stop-at-threshold)
        stop_at = cfg.accuracy_threshold if not last or cfg.stop_at_threshold else None
        backup = model_dir / RESUME / f"backup-{run_id}"
        result = train_fn(model, data, val_data, RunConfig.of(cfg, lr=lr, stop_at=stop_at), model_dir / LOGS / f"{run_id}.csv", backup,
                          model_dir / LATEST, save, log=log.info, prefix=run_id)  # fmt: skip
        record = {"run_id": run_id, "batch": b + 1, "attempt": attempt + 1, "classes": len(seen), "new_classes": batch_classes,
                  "learning_rate": lr, "seed": seed, **result.to_dict(),
                  "log": str(Path(LOGS) / f"{run_id}.log"), "csv": str(Path(LOGS) / f"{run_id}.csv")}  # fmt: skip
        record["became_best"] = becomes_best(record, summary.data["best_model"])
        if record["became_best"]:
            save(model, best_path)
        summary.record_run(record)
        shutil.rmtree(backup, ignore_errors=True)
    acc = "failed: " + (result.error or "").splitlines()[0] if result.outcome == "failed" else (
        f"val top-1 {result.val_top1:.3f} top-2 {result.val_top2:.3f} top-3 {result.val_top3:.3f}")  # fmt: skip
    log.info(f"{run_id}: {result.outcome} after {result.epochs_run} epochs (best epoch {result.best_epoch}), {acc}, {result.wall_time:.0f}s"
             + (" — new best model" if record["became_best"] else ""), extra=MAIN)  # fmt: skip
    return record


def _start_weights(model_dir: Path, run_id: str) -> Path:
    return model_dir / RESUME / f"start-{run_id}.weights.h5"


def refit_schedule(csv_path: Path, best_epoch: int) -> list[float]:
    """The learning rate of each epoch a refit of a run trains, from the run's CSV log.

    The refit trains up to the latest epoch whose validation top-1 equals the run's best:
    early stopping keeps the first of tied epochs, which on a validation split that saturates
    early can be a handful of epochs into training; the later ties are rated as good by
    validation and trained longer. A resumed run may have appended an epoch twice or missed
    a row: the last row of an epoch wins and a missing epoch keeps the rate before it.
    """
    import csv

    with open(csv_path, newline="") as f:
        rows = {int(r["epoch"]): r for r in csv.DictReader(f)}
    rates = {e: float(r["learning_rate"]) for e, r in rows.items() if r.get("learning_rate") not in (None, "", "NA")}
    if not rates:
        raise ValueError(f"{csv_path}: no learning_rate column; cannot replay the run's schedule")
    top1 = {e: float(r["val_top1"]) for e, r in rows.items() if r.get("val_top1") not in (None, "", "NA")}
    best = max(top1.values(), default=None)
    epochs = max([best_epoch] + [e + 1 for e, v in top1.items() if v >= best])
    schedule, lr = [], rates[min(rates)]
    for e in range(epochs):
        lr = rates.get(e, lr)
        schedule.append(lr)
    return schedule


def _refit(cfg: LoopConfig, model_dir: Path, job: Job, summary: Summary, model, train_fn) -> None:
    """Train the delivered model once more on training + validation recordings.

    The validation split has done its job once early stopping has picked the epoch: the refit
    starts from the same weights as the chosen run and replays its learning rates up to its
    best epoch (see :func:`refit_schedule`), on every recording that is not held out for testing — more signers and
    sessions, which is what carries to unseen ones. The test split stays untouched, so without
    one there is no honest figure for the refit model and it is not made.
    """
    import keras

    from .callbacks import reseed
    from .run import RunConfig

    best = summary.data["best_model"]
    if best is None or best.get("refit_of") or summary.run(best["run_id"] + "-refit") is not None:
        return  # nothing to refit, or done before a resume
    chosen = summary.run(best["run_id"])
    start = _start_weights(model_dir, chosen["run_id"])
    if best["classes"] < len(job.index.classes) or not start.is_file():
        return
    if not job.samples("test"):
        log.info("no test split, so the delivered model is not refitted on train + val (it would have no held-out figure; --no-refit silences this)", extra=MAIN)
        return
    run_id = f"{chosen['run_id']}-refit"
    rates = refit_schedule(model_dir / chosen["csv"], chosen["best_epoch"])
    samples = job.samples("train") + job.samples("val")
    _load_weights(model, start)
    keras.utils.set_random_seed(chosen["seed"])
    reseed(model, chosen["seed"])
    save = replace(job.contract, classes_trained=job.index.classes, info={**job.contract.info, "trained_on": ["train", "val"]}).save
    with run_logging(model_dir / LOGS / f"{run_id}.log"):
        log.info(f"{run_id}: refit from the start of {chosen['run_id']} on train + val ({len(samples)} recordings) for {len(rates)} epochs "
                 "(to its latest best validation top-1) at its learning rates; this becomes the delivered model (--no-refit: deliver the run itself)",
                 extra=MAIN)  # fmt: skip
        data = job.sampler(samples, cfg, chosen["seed"])
        job.compile_model(model, cfg, rates[0], len(data))
        backup = model_dir / RESUME / f"backup-{run_id}"
        run_cfg = RunConfig.of(cfg, epochs=len(rates), lr=rates[0], lr_schedule=tuple(rates))
        result = train_fn(model, data, None, run_cfg, model_dir / LOGS / f"{run_id}.csv", backup, model_dir / LATEST, save, log=log.info, prefix=run_id)
        record = {"run_id": run_id, "batch": chosen["batch"], "attempt": chosen["attempt"], "classes": chosen["classes"], "new_classes": [],
                  "learning_rate": rates[0], "seed": chosen["seed"], "refit_of": chosen["run_id"], "trained_on": ["train", "val"],
                  **result.to_dict(), "log": str(Path(LOGS) / f"{run_id}.log"), "csv": str(Path(LOGS) / f"{run_id}.csv")}  # fmt: skip
        record["became_best"] = result.outcome != "failed"
        if record["became_best"]:
            save(model, model_dir / BEST)
        summary.record_run(record)
        shutil.rmtree(backup, ignore_errors=True)
    log.info(f"{run_id}: " + (f"done, {result.epochs_run} epochs, {result.wall_time:.0f}s — the delivered model" if record["became_best"]
             else "failed: " + (result.error or "").splitlines()[0] + f"; the delivered model stays {chosen['run_id']}"), extra=MAIN)  # fmt: skip


def _finish(cfg: LoopConfig, model_dir: Path, job: Job, summary: Summary, best_path: Path) -> dict:
    """Evaluate the delivered model on its held-out split (test, else val), draw, maybe run inference.

    The model file is loaded once, as a user would load it, and that one recognizer serves the
    final figure and the report.
    """
    from ..inference.evaluate import evaluate_split
    from ..inference.predict import Recognizer

    if not best_path.is_file():
        summary.data["status"] = "failed"
        summary.save()
        log.info("no run finished successfully, so there is no model; see the run logs in " + str(model_dir / LOGS), extra=MAIN)
        return summary.data
    rec = Recognizer.load(best_path)
    final = evaluate_split(rec)
    final_summary = {k: final[k] for k in ("split", "top1", "top2", "top3", "count", "parameters") if k in final}
    reached = summary.data["best_accuracy"] >= cfg.accuracy_threshold
    summary.data.update(final=final_summary, threshold_reached=reached, status="finished")
    summary.save()
    runs = summary.data["training_runs"]
    log.info(f"finished: {len(runs)} runs, {summary.data['total_training_time']:.0f}s of training; best model {summary.data['best_model']['run_id']}: "
        f"val top-1 {summary.data['best_accuracy']:.3f}; held-out {final['split']} ({final['count']} recordings) "
        f"top-1 {final['top1']:.3f} top-2 {final['top2']:.3f} top-3 {final['top3']:.3f}", extra=MAIN)  # fmt: skip
    if final.get("parameters"):
        log.info("held-out HamNoSys parameters: " + ", ".join(f"{p} {a:.3f}" for p, a in final["parameters"].items()), extra=MAIN)
    log.info(f"accuracy threshold {cfg.accuracy_threshold:.0%} " + ("reached" if reached else "NOT reached: try more data, --augment-factor, or another --lr"), extra=MAIN)
    from ..inference.visualize import plot_training_curves

    curves = plot_training_curves(model_dir, model_dir / VIS / "training_curves.png", summary.data)
    if cfg.run_inference:
        from ..inference.report import report

        log.info("running inference on the held-out split (--no-run-inference to skip)", extra=MAIN)
        out = report(rec, model_dir / VIS, metrics=final, curves=curves, log=log.info)
        log.info(f"report: {out}", extra=MAIN)
    shutil.rmtree(model_dir / RESUME, ignore_errors=True)
    return summary.data
