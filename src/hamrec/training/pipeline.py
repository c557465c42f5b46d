"""Feeding recordings to Keras: one-hot targets, an augmenting sampler for training and plain
batches for validation, both reading their recordings only when a batch is asked for.

Recordings become model inputs only through :meth:`hamrec.contract.ModelContract.encode`,
here as in inference.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import keras
import numpy as np

from ..contract import ModelContract
from ..data.augment import AugmentConfig, augment_batch, calibrates, channel_spread
from ..data.sequence import SequenceBatch, SignSequence
from ..model.builder import CLASSES, HEAD


def one_hot(labels: list[str], class_ids: dict[str, int]) -> np.ndarray:
    """(N,) labels -> (N, C) one-hot over the whole label space."""
    y = np.zeros((len(labels), len(class_ids)), np.float32)
    y[np.arange(len(labels)), [class_ids[label] for label in labels]] = 1
    return y


class Targets:
    """What the model learns to output for a label: its class, one-hot, and for a model with
    phonological heads (``contract.info["parameters"]``: parameter -> values) each parameter's
    value of the label's notation, one-hot — all zeros where the label has no notation, which
    then trains the class output only."""

    def __init__(self, class_ids: dict[str, int], contract: ModelContract):
        self.class_ids = class_ids
        self.vocabularies: dict[str, list[str]] = contract.info.get("parameters") or {}
        index = {p: {v: i for i, v in enumerate(values)} for p, values in self.vocabularies.items()}
        self.values = {label: [index[p][info["parameters"][p]] for p in self.vocabularies]  # label -> each parameter's value index
                       for label, info in contract.labels.items() if "parameters" in info}  # fmt: skip

    def __call__(self, labels: list[str]) -> np.ndarray | dict[str, np.ndarray]:
        """(N, C), or {"classes": (N, C), "param_<name>": (N, values), ...}."""
        y = one_hot(labels, self.class_ids)
        if not self.vocabularies:
            return y
        out = {CLASSES: y}
        for j, (p, values) in enumerate(self.vocabularies.items()):
            t = np.zeros((len(labels), len(values)), np.float32)
            for i, label in enumerate(labels):
                if label in self.values:
                    t[i, self.values[label][j]] = 1
            out[HEAD + p] = t
        return out


class AugmentedSampler(keras.utils.PyDataset):
    """Training batches drawn on the fly: class-balanced, each draw a new random augmentation.

    One epoch is one pass: as many draws as there are training recordings, or ``steps``
    batches when given (``--steps-per-epoch``). The stream has the
    make-up of the seed's F-fold augmented set — one original to ``augment_factor`` augmented
    versions — but every augmented version is new and nothing is stored, so F changes what the
    model sees, not how long an epoch takes. With ``balance``, classes are drawn equally often
    whatever their size.
    Batch ``i`` of epoch ``e`` uses the random stream ``(seed, e, i)``, so the data are the
    same from run to run and from worker to worker. ``epoch`` is set by the training run at the
    start of every epoch (not counted here), so a run resumed at epoch ``e`` draws epoch ``e``'s data.
    For data-parallel training every batch has a multiple of ``multiple`` (the devices) rows,
    and on several hosts host ``h`` draws from the streams ``(seed, e, i, h)``, its own share.
    With ``prefetch``, asking for batch ``i`` also starts drawing the batch that comes next
    (``i + 1``, or the next epoch's first) in a background thread, so that the model trains while
    it is drawn. A batch depends on its ``(seed, e, i)`` alone, so the batches are the same as
    drawn in turn, whatever order they are asked for in (Keras' own ``workers`` reorder the
    stream across epochs, which an exact resume cannot have).
    """

    def __init__(
        self,
        seqs: Sequence[SignSequence],
        labels: list[str],
        class_ids: dict[str, int],
        contract: ModelContract,
        batch_size: int = 64,
        augment_factor: int = 1,
        augment_cfg: AugmentConfig | None = AugmentConfig(),
        balance: bool = True,
        seed: int = 0,
        steps: int = 0,
        multiple: int = 1,
        host: int = 0,
        prefetch: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not seqs:
            raise ValueError("no training recordings for the classes of this batch")
        self.seqs, self.labels, self.targets = seqs, labels, Targets(class_ids, contract)
        self.contract, self.batch_size = contract, batch_size
        self.augment_cfg, self.seed = augment_cfg, seed
        self.multiple, self.host = multiple, host
        if augment_factor < 0:
            raise ValueError(f"--augment-factor: got {augment_factor}; expected 0 (no augmentation) or more")
        self.draws = steps * batch_size if steps else len(seqs)  # recordings per epoch
        self.p_augment = augment_factor / (augment_factor + 1)
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        w = np.array([1.0 / counts[label] if balance else 1.0 for label in labels])
        self.p = w / w.sum()
        # focal-loss alpha per class from class frequencies: N / (K n_c), mean 1 over recordings. With
        # balanced drawing every class is already seen equally often, so alpha is 1 for all.
        self.alpha = None if balance else {c: len(labels) / (len(counts) * n) for c, n in counts.items()}
        # units of the per-channel calibration offsets for sensor layouts (keypoints, arrays of points, or no augmentation: not needed)
        augments = augment_cfg is not None and self.p_augment > 0
        self.spread = channel_spread(seqs) if augments and calibrates(contract.spec.layout, contract.spec.dims) else None
        self.epoch = 0
        self.prefetch = prefetch
        self._ahead: tuple[tuple[int, int], Future] | None = None  # ((epoch, i), the batch being drawn)

    def __len__(self) -> int:
        return math.ceil(self.draws / self.batch_size)

    def __getitem__(self, i: int):
        """Batch ``i`` of epoch ``self.epoch``: (inputs, targets) or (inputs, targets, sample weights)."""
        key = (self.epoch, i)
        ahead, self._ahead = self._ahead, None
        batch = ahead[1].result() if ahead is not None and ahead[0] == key else self.draw(*key)
        if self.prefetch:
            after = (self.epoch, i + 1) if i + 1 < len(self) else (self.epoch + 1, 0)
            self._ahead = (after, _background().submit(self.draw, *after))
        return batch

    def draw(self, epoch: int, i: int):
        """Batch ``i`` of epoch ``epoch``, drawn from its own random stream."""
        rng = np.random.default_rng([self.seed, epoch, i] + ([self.host] if self.host else []))
        n = min(self.batch_size, self.draws - i * self.batch_size)
        n = max(self.multiple, n - n % self.multiple)
        picks = rng.choice(len(self.seqs), size=n, p=self.p)
        batch = SequenceBatch.of([self.seqs[j] for j in picks])
        if self.augment_cfg is not None and self.p_augment > 0:
            batch = augment_batch(batch, rng, rng.random(n) < self.p_augment, self.augment_cfg, self.spread)
        inputs = self.contract.encode_batch(batch)
        y = self.targets([self.labels[j] for j in picks])
        if self.alpha is None:
            return inputs, y
        return inputs, y, np.array([self.alpha[self.labels[j]] for j in picks], np.float32)  # (B,) sample weights


@functools.cache
def _background() -> ThreadPoolExecutor:
    """The one thread that draws training batches ahead of the model (started on first use)."""
    return ThreadPoolExecutor(1, thread_name_prefix="hamrec-prefetch")


#: validation inputs up to this size are encoded once and kept for every later epoch; larger
#: splits are encoded batch by batch every time, so memory does not grow with the dataset
KEEP_ENCODED_BYTES = 256 * 2**20


class EncodedBatches(keras.utils.PyDataset):
    """Recordings as model inputs in fixed batches, in order and unaugmented: a run's validation data.

    Validation runs after every epoch on the same recordings, so when their inputs take at most
    ``keep_bytes`` each batch is encoded once and kept; otherwise it is encoded when asked for,
    and memory holds one batch whatever the split's size.
    With ``multiple`` > 1 (data-parallel devices) every batch carries sample weights and the
    last is padded to a multiple of the devices with rows of weight 0
    (:func:`hamrec.training.distribute.pad_rows`).
    """

    def __init__(self, seqs: Sequence[SignSequence], labels: list[str], class_ids: dict[str, int], contract: ModelContract,
                 batch_size: int = 256, multiple: int = 1, keep_bytes: int = KEEP_ENCODED_BYTES, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.seqs, self.labels, self.targets, self.contract = seqs, labels, Targets(class_ids, contract), contract
        self.batch_size, self.multiple = batch_size, multiple
        size = len(seqs) * contract.spec.seq_len * (contract.spec.num_features + 1) * 4  # float32 features and the mask
        self.kept: dict[int, tuple] | None = {} if size <= keep_bytes else None

    def __len__(self) -> int:
        return math.ceil(len(self.seqs) / self.batch_size)

    def __getitem__(self, i: int):
        from .distribute import pad_rows

        if self.kept is not None and i in self.kept:
            return self.kept[i]
        part = slice(i * self.batch_size, (i + 1) * self.batch_size)
        batch = pad_rows(self.contract.encode(self.seqs[part]), self.targets(self.labels[part]), self.multiple)
        if self.kept is not None:
            self.kept[i] = batch
        return batch
