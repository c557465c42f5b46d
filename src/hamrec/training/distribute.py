"""Data-parallel training on Keras' own engine: ``keras.distribution.DataParallel`` on JAX.

``--distribute`` replicates the model on every device Keras sees and splits each batch
between them; on several hosts every host runs the same command and
``keras.distribution.initialize`` (``jax.distributed.initialize``) joins them, reading the
coordinator from ``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
``KERAS_DISTRIBUTION_PROCESS_ID``. JAX shards a batch's rows evenly over the devices, so every
batch ``fit``, ``evaluate`` or ``predict`` sees must have a multiple of the local device count
of rows (:func:`batch_multiple`): training batches are cut to one and the last validation
batch is padded with rows of weight 0 (:func:`pad_rows`).
"""

from __future__ import annotations

import os

import numpy as np

#: how many validation or evaluation rows go to the model at once (a multiple of the devices is taken)
EVAL_BATCH = 256


def setup(distribute: bool) -> str | None:
    """Turn on data parallelism over every device when ``distribute``; a line for the log, or None.

    Raises:
        ValueError: ``--distribute`` on a backend other than JAX, or a batch plan it cannot split.
    """
    if not distribute:
        return None
    backend = os.environ.get("KERAS_BACKEND", "torch")
    if backend != "jax":
        raise ValueError(f"--distribute needs the JAX backend (keras.distribution runs on JAX); KERAS_BACKEND is {backend!r}. "
                         'Install it (pip install "hamrec[distribute]") and run with KERAS_BACKEND=jax')  # fmt: skip
    import keras

    if os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES") or os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):
        keras.distribution.initialize()  # several hosts: jax.distributed.initialize from the environment
    devices = keras.distribution.list_devices()
    # auto_shard_dataset=False: each host's sampler already draws its own share of every batch (Keras' own
    # sharding takes tf.data only); Keras joins the hosts' shares into one global batch
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    import jax

    hosts = f" on {jax.process_count()} hosts (this is host {jax.process_index()})" if jax.process_count() > 1 else ""
    return f"data parallel over {len(devices)} devices{hosts}: {', '.join(devices[:8])}{' …' if len(devices) > 8 else ''}"


def batch_multiple() -> int:
    """Rows every batch must be a multiple of: this host's devices under a distribution, else 1."""
    import keras

    if keras.distribution.distribution() is None:
        return 1
    import jax

    return jax.local_device_count()


def process() -> tuple[int, int]:
    """(this host's index, number of hosts) of a distributed job; (0, 1) otherwise."""
    import keras

    if keras.distribution.distribution() is None:
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def check_batch_size(batch_size: int) -> None:
    """Refuse a ``--batch-size`` that the devices cannot share evenly."""
    n = batch_multiple()
    if batch_size % n:
        lower, upper = batch_size - batch_size % n, batch_size + n - batch_size % n
        raise ValueError(f"--batch-size {batch_size} cannot be split evenly over the {n} devices: use a multiple of {n} "
                         f"(e.g. {lower or upper} or {upper})")  # fmt: skip


def eval_batch_size() -> int:
    """Rows per validation/evaluation step: :data:`EVAL_BATCH`, rounded down to a multiple of the devices."""
    n = batch_multiple()
    return max(n, EVAL_BATCH - EVAL_BATCH % n)


def pad_rows(x: dict[str, np.ndarray], y: np.ndarray | dict[str, np.ndarray], multiple: int) -> tuple:
    """``(x, y)``, or for devices (``multiple`` > 1) ``(x, y, w)`` padded to a multiple of them.

    The padded rows repeat the first row with sample weight 0, so top-k accuracies are the
    unpadded ones exactly (weighted means); the loss Keras reports is divided by the padded
    count, i.e. understated by at most ``(devices - 1) / rows``.
    """
    rows = len(x["mask"])
    if multiple == 1 or rows == 0:
        return x, y
    extra = -rows % multiple
    pad = lambda a: np.concatenate([a, np.repeat(a[:1], extra, axis=0)])  # noqa: E731
    w = np.concatenate([np.ones(rows, np.float32), np.zeros(extra, np.float32)])
    return {k: pad(v) for k, v in x.items()}, ({k: pad(v) for k, v in y.items()} if isinstance(y, dict) else pad(y)), w
