"""One index over the chosen datasets: usable samples, label space, splits, class batches.

Order matters and is fixed here: read and check every recording (bad ones are skipped and
listed), fix the label space, split by group (signer/session/source recording) — and only
then may anything be augmented or balanced, and only the training split.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from .cache import RecordingCache
from .datasets import DatasetError, Sample, resolve, scan
from .sequence import RecordingError, SignSequence, describe_layout
from .store import RecordingView, StoreWriter

SPLITS = ("train", "val", "test")


@dataclass
class DatasetIndex:
    """Everything known about the data of one training job.

    Attributes:
        samples: usable samples, in a deterministic order.
        sequences: path -> the recording, read once: in memory, or a
            :class:`~hamrec.data.store.RecordingStore` on disk that reads it back when asked.
        classes: the one label space, sorted; class i is output i of every model.
        label_info: label -> {"gloss", "hamnosys"} when a dataset gave them.
        layout: (layout name, points, dims) shared by all recordings.
        skipped: ``{"file", "reason"}`` for every file or class left out, and why.
    """

    samples: list[Sample]
    sequences: Mapping[str, SignSequence]
    classes: list[str]
    label_info: dict[str, dict]
    layout: tuple[str, int, int]
    skipped: list[dict] = field(default_factory=list)

    def recordings(self, samples: list[Sample]) -> RecordingView:
        """The recordings of ``samples``, in order, read only when asked for (a batch at a time from a store)."""
        return RecordingView(self.sequences, [s.path for s in samples])

    def counts(self) -> dict[str, int]:
        return dict(sorted(collections.Counter(s.label for s in self.samples).items()))


def build_index(
    entries: list[str],
    data_root: str | Path,
    cache: RecordingCache,
    min_samples: int = 1,
    min_length: int = 2,
    log: Callable[[str], None] = print,
    store: StoreWriter | None = None,
) -> DatasetIndex:
    """Scan and read the datasets named in ``entries``; with ``store``, every recording goes to
    disk as it is read and memory holds none of them.

    Raises:
        DatasetError: a dataset is missing or empty, the layouts cannot be mixed, or nothing usable remains.
    """
    samples: list[Sample] = []
    skipped: list[dict] = []
    for entry in entries:
        name, folder = resolve(entry, data_root)
        found, bad = scan(name, folder)
        log(f"dataset {name}: {len(found)} labelled recordings in {folder}" + (f", {len(bad)} without label" if bad else ""))
        samples += found
        skipped += bad

    sequences: dict[str, SignSequence] | StoreWriter = {} if store is None else store
    usable: list[Sample] = []
    layout_of: dict[str, tuple[str, int, int]] = {}  # path -> (layout, points, dims)
    for s in samples:
        try:
            seq = cache.load(s.path)
            if seq.num_frames < min_length:
                raise RecordingError(f"{s.path}: {seq.num_frames} frames; expected at least --min-length {min_length}")
        except RecordingError as e:
            skipped.append({"file": s.path, "reason": str(e)})
            continue
        sequences[s.path] = seq
        usable.append(s)
        layout_of[s.path] = seq.layout_key
    if not usable:
        raise DatasetError(f"no usable recordings in {entries}: {len(skipped)} files skipped (first: {skipped[:1]})")
    usable, layout = one_layout(usable, layout_of, skipped)
    if isinstance(sequences, StoreWriter) and sequences.shape != layout[1:]:  # the store kept the first recording's layout, an odd one out
        sequences.finish()
        sequences = StoreWriter(sequences.folder)
        for s in usable:
            sequences[s.path] = cache.load(s.path)
    elif isinstance(sequences, dict):
        sequences = {s.path: sequences[s.path] for s in usable}

    counts = collections.Counter(s.label for s in usable)
    rare = sorted(c for c, n in counts.items() if n < min_samples)
    for c in rare:
        files = [s.path for s in usable if s.label == c]
        skipped.append({"file": f"class {c}", "reason": f"{counts[c]} recordings ({', '.join(files[:5])}); --min-samples is {min_samples}"})
    usable = sorted((s for s in usable if counts[s.label] >= min_samples), key=lambda s: (s.label, s.group, s.path))
    if not usable:
        raise DatasetError(f"no class has at least --min-samples {min_samples} recordings")
    classes = sorted({s.label for s in usable})
    label_info = {}
    for s in usable:
        info = label_info.setdefault(s.label, {"gloss": s.gloss or s.label, "hamnosys": None})
        info["hamnosys"] = info["hamnosys"] or s.hamnosys
    for info in label_info.values():
        if info["hamnosys"]:
            info.update(_notation(info["hamnosys"]))
    stored = sequences.finish() if isinstance(sequences, StoreWriter) else sequences
    return DatasetIndex(usable, stored, classes, label_info, layout, skipped)


def one_layout(usable: list[Sample], layout_of: dict[str, tuple], skipped: list[dict]) -> tuple[list[Sample], tuple[str, int, int]]:
    """The recordings that share their dataset's layout, and that layout; the odd ones out are added to ``skipped``.

    Within a dataset, a recording of another layout than more than half of the others (a .pose
    file among glove streams, an array of another width) is one bad file: skipped and listed.
    A dataset without such a majority, or datasets of different layouts, cannot be trained at all.

    Raises:
        DatasetError: naming the datasets, their layouts and a file of each.
    """
    by_dataset: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    example: dict[tuple, str] = {}
    for s in usable:
        by_dataset[s.dataset][layout_of[s.path]] += 1
        example.setdefault(layout_of[s.path], s.path)
    main = {}
    for ds, counts in by_dataset.items():
        (top, n), total = counts.most_common(1)[0], sum(counts.values())
        if n * 2 <= total:
            described = "; ".join(f"{m} of {describe_layout(k)} (e.g. {example[k]})" for k, m in counts.items())
            raise DatasetError(f"dataset {ds!r} mixes recordings of different layouts, none of them more than half: {described}. "
                               "Put each kind in a dataset of its own and train them separately.")  # fmt: skip
        main[ds] = top
    for s in usable:
        if layout_of[s.path] != main[s.dataset]:
            n = by_dataset[s.dataset][main[s.dataset]]
            skipped.append({"file": s.path, "reason": f"{describe_layout(layout_of[s.path])}; expected {describe_layout(main[s.dataset])}, "
                                                      f"like the other {n} recordings of dataset {s.dataset!r}"})  # fmt: skip
    if len(set(main.values())) > 1:
        described = "; ".join(f"{ds!r}: {describe_layout(k)} (e.g. {next(s.path for s in usable if s.dataset == ds and layout_of[s.path] == k)})" for ds, k in main.items())
        raise DatasetError(f"these datasets cannot be trained together, their recordings differ: {described}. Train them separately.")
    return [s for s in usable if layout_of[s.path] == main[s.dataset]], next(iter(main.values()))


def _notation(text: str) -> dict:
    """The parsed notation that travels with a label: symbol names and phonological parameters, or why it does not parse."""
    from ..hamnosys import HamNoSysError, parse
    from ..hamnosys.parameters import parameters

    try:
        return {"hamnosys_names": parse(text).names, "parameters": parameters(text)}
    except HamNoSysError as e:
        return {"hamnosys_error": str(e)}


def make_split(
    samples: list[Sample],
    seed: int,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    test_groups: list[str] | None = None,
    val_groups: list[str] | None = None,
) -> dict[str, str]:
    """Assign every sample to train/val/test, keeping each group (signer, session, source
    recording) inside one split and the classes as evenly spread as the groups allow.

    Explicit ``test_groups``/``val_groups`` (e.g. Auslan sessions) take precedence; otherwise
    scikit-learn's ``StratifiedGroupKFold`` picks groups, first for test, then for val.

    Returns:
        path -> "train" | "val" | "test".
    """
    from sklearn.model_selection import StratifiedGroupKFold

    groups = np.array([s.group for s in samples])
    labels = np.array([s.label for s in samples])
    split = np.full(len(samples), "train", dtype=object)
    both = sorted(set(test_groups or ()) & set(val_groups or ()))
    if both:
        raise ValueError(f"--val-groups and --test-groups both name {both}; a group belongs to one split only")
    for name, chosen in (("test", test_groups), ("val", val_groups)):
        if chosen:
            unknown = sorted(set(chosen) - set(groups))
            if unknown:
                known = sorted({s.group for s in samples})
                raise ValueError(f"--{name}-groups: {unknown} not found; groups in the data: {', '.join(known[:20])}"
                                 + (f" … (+{len(known) - 20})" if len(known) > 20 else ""))  # fmt: skip
            split[np.isin(groups, chosen)] = name

    def carve(name: str, fraction: float) -> None:
        free = np.flatnonzero(split == "train")
        n_groups = len(set(groups[free]))
        if fraction <= 0 or n_groups < 2:
            return
        n_splits = max(2, min(n_groups, int(round(1 / fraction))))
        folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        try:
            _, held = next(folds.split(free, labels[free], groups[free]))
        except ValueError:  # fewer members in a class than folds: sklearn warns or refuses; fall back to groups only
            rng = np.random.default_rng(seed)
            uniq = sorted(set(groups[free]))
            pick = set(rng.choice(uniq, size=max(1, len(uniq) // n_splits), replace=False))
            held = np.flatnonzero(np.isin(groups[free], list(pick)))
        split[free[held]] = name

    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        if not test_groups:
            carve("test", test_fraction)
        if not val_groups:
            carve("val", val_fraction / max(1e-9, 1 - (test_fraction if not test_groups else 0)))
    return {s.path: str(sp) for s, sp in zip(samples, split)}


def check_no_leak(samples: list[Sample], split: dict[str, str]) -> None:
    """Raise when a group or a file appears in more than one split (a leak)."""
    where: dict[str, set[str]] = collections.defaultdict(set)
    for s in samples:
        where[s.group].add(split[s.path])
    leaks = {g: sorted(v) for g, v in where.items() if len(v) > 1}
    if leaks:
        raise AssertionError(f"groups in more than one split: {dict(list(leaks.items())[:5])}")


def class_batches(classes: list[str], max_per_batch: int) -> list[list[str]]:
    """Cut the sorted label space into consecutive batches of at most ``max_per_batch`` (0 = one batch).

    Every class is in exactly one batch; the plan never wraps around.
    """
    if max_per_batch < 0:
        raise ValueError(f"--max-classes-per-batch: got {max_per_batch}; expected 0 (all at once) or a positive number")
    if max_per_batch == 0 or max_per_batch >= len(classes):
        return [list(classes)]
    return [list(classes[i : i + max_per_batch]) for i in range(0, len(classes), max_per_batch)]
