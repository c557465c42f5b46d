"""Feeding recordings to Keras: fixed arrays for evaluation, an augmenting sampler for training."""

from __future__ import annotations

import math

import keras
import numpy as np

from ..data.augment import AugmentConfig, augment, channel_spread
from ..data.formats import keypoints as kp
from ..data.sequence import SignSequence
from ..features import FeatureSpec, Normalizer, prepare


def encode(seqs: list[SignSequence], spec: FeatureSpec, normalizer: Normalizer) -> dict[str, np.ndarray]:
    """Recordings -> model inputs {"features": (N, T, F), "mask": (N, T)} without augmentation."""
    xs, ms = zip(*(prepare(s, spec) for s in seqs)) if seqs else ((), ())
    x = np.stack(xs) if xs else np.zeros((0, spec.seq_len, spec.num_features), np.float32)
    m = np.stack(ms) if ms else np.zeros((0, spec.seq_len), bool)
    return {"features": normalizer(x, m), "mask": m.astype(np.float32)}


def one_hot(labels: list[str], class_ids: dict[str, int]) -> np.ndarray:
    """(N,) labels -> (N, C) one-hot over the whole label space."""
    y = np.zeros((len(labels), len(class_ids)), np.float32)
    y[np.arange(len(labels)), [class_ids[label] for label in labels]] = 1
    return y


class AugmentedSampler(keras.utils.PyDataset):
    """Training batches drawn on the fly: class-balanced, each draw a new random augmentation.

    One epoch is one pass: as many draws as there are training recordings. The stream has the
    make-up of the seed's F-fold augmented set — one original to ``augment_factor`` augmented
    versions — but every augmented version is new and nothing is stored, so F changes what the
    model sees, not how long an epoch takes. With ``balance``, classes are drawn equally often
    whatever their size.
    Batch ``i`` of epoch ``e`` uses the random stream ``(seed, e, i)``, so the data are the
    same from run to run and from worker to worker. ``epoch`` is set by the training run at the
    start of every epoch (not counted here), so a run resumed at epoch ``e`` draws epoch ``e``'s data.
    """

    def __init__(
        self,
        seqs: list[SignSequence],
        labels: list[str],
        class_ids: dict[str, int],
        spec: FeatureSpec,
        normalizer: Normalizer,
        batch_size: int = 32,
        augment_factor: int = 1,
        augment_cfg: AugmentConfig | None = AugmentConfig(),
        balance: bool = True,
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not seqs:
            raise ValueError("no training recordings for the classes of this batch")
        self.seqs, self.labels, self.class_ids = seqs, labels, class_ids
        self.spec, self.normalizer, self.batch_size = spec, normalizer, batch_size
        self.augment_cfg, self.seed = augment_cfg, seed
        if augment_factor < 0:
            raise ValueError(f"--augment-factor: got {augment_factor}; expected 0 (no augmentation) or more")
        self.draws = len(seqs)
        self.p_augment = augment_factor / (augment_factor + 1)
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        w = np.array([1.0 / counts[label] if balance else 1.0 for label in labels])
        self.p = w / w.sum()
        # focal-loss alpha per class from class frequencies: N / (K n_c), mean 1 over recordings. With
        # balanced drawing every class is already seen equally often, so alpha is 1 for all.
        self.alpha = None if balance else {c: len(labels) / (len(counts) * n) for c, n in counts.items()}
        # units of the per-channel calibration offsets for sensor layouts (keypoints, or no augmentation: not needed)
        augments = augment_cfg is not None and self.p_augment > 0
        self.spread = channel_spread(seqs) if augments and spec.layout != kp.LAYOUT else None
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(self.draws / self.batch_size)

    def __getitem__(self, i: int):
        rng = np.random.default_rng([self.seed, self.epoch, i])
        n = min(self.batch_size, self.draws - i * self.batch_size)
        picks = rng.choice(len(self.seqs), size=n, p=self.p)
        xs, ms = [], []
        for j in picks:
            seq = self.seqs[j]
            if self.augment_cfg is not None and rng.random() < self.p_augment:
                seq = augment(seq, rng, self.augment_cfg, self.spread)
            x, m = prepare(seq, self.spec)
            xs.append(x)
            ms.append(m)
        x, m = np.stack(xs), np.stack(ms)
        y = one_hot([self.labels[j] for j in picks], self.class_ids)
        inputs = {"features": self.normalizer(x, m), "mask": m.astype(np.float32)}
        if self.alpha is None:
            return inputs, y
        return inputs, y, np.array([self.alpha[self.labels[j]] for j in picks], np.float32)  # (B,) sample weights
