"""Choose the Keras backend before Keras is imported anywhere.

Keras 3 reads ``KERAS_BACKEND`` once, at import time. Our entry points call
:func:`configure` first so that torch (installed with the package) is the default while a
user's own choice (``KERAS_BACKEND=jax`` ...) still wins.
"""

from __future__ import annotations

import importlib.util
import os

#: what training, evaluation and the .keras models need beyond the core, whichever backend runs Keras
TRAIN_PACKAGES = {"keras": "keras", "matplotlib": "matplotlib", "sklearn": "scikit-learn", "filelock": "filelock"}

#: Keras backend -> (its module, the extra that installs it with TRAIN_PACKAGES). torch is the
#: default; on JAX (``KERAS_BACKEND=jax``) the whole job runs without torch, which on a GPU
#: cluster is a download of several GB saved.
BACKEND_EXTRAS = {"torch": ("torch", "train"), "jax": ("jax", "jax")}


def require_train_extra(what: str) -> None:
    """Raise ImportError naming the missing packages and the install command when the train extra is absent.

    The core install (``pip install hamrec``) reads recordings and runs exported models only.
    Which backend package is needed follows ``KERAS_BACKEND`` (torch when unset).
    """
    backend = os.environ.get("KERAS_BACKEND", "torch")
    module, extra = BACKEND_EXTRAS.get(backend, (None, "train"))
    needed = {module: module, **TRAIN_PACKAGES} if module else TRAIN_PACKAGES
    missing = [pkg for name, pkg in needed.items() if importlib.util.find_spec(name) is None]
    if missing:
        hint = ""
        if backend == "torch" and "torch" in missing and importlib.util.find_spec("jax") is not None:
            hint = " (or, with JAX installed, run on it: KERAS_BACKEND=jax)"
        raise ImportError(f'{what} needs the {extra} extra ({", ".join(missing)} not installed): pip install "hamrec[{extra}]"{hint}')


def configure(gpu: bool = False) -> None:
    """Set the default backend, before anything starts the backend's devices.

    Args:
        gpu: whether the user asked for a GPU. When False, CUDA is hidden so that a machine
            with a GPU still trains on the CPU as asked.

    CPU threads are the libraries' own (``OMP_NUM_THREADS`` sets torch's; see the README on
    several jobs on one machine).
    """
    require_train_extra("loading or training a .keras model")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    if not gpu:
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def device(gpu: bool = False) -> str:
    """A one-line description of the compute device that will be used, for the log.

    On JAX this starts the backend's devices, so several hosts must have joined before
    (:func:`hamrec.training.distribute.setup`: ``jax.distributed.initialize`` refuses to run after it).
    """
    backend = os.environ.get("KERAS_BACKEND", "torch")
    if backend == "torch":
        import torch

        if gpu:
            if torch.cuda.is_available():
                return f"GPU: {torch.cuda.get_device_name(0)} (torch)"
            return "--gpu was given but no CUDA GPU is available to torch: training on the CPU"
        n = torch.get_num_threads()
        return f"CPU ({n} thread{'s' if n != 1 else ''}, torch)"
    if backend == "jax":
        import jax

        devices = jax.local_devices()
        return f"{len(devices)} {devices[0].platform.upper()} device{'s' if len(devices) > 1 else ''} (jax)"
    return f"{'GPU if available' if gpu else 'CPU'} ({backend})"


def spare_core() -> bool:
    """Whether a CPU core is free of the model's compute: it runs on a GPU, or on fewer CPU threads than this process has cores.

    Only then does drawing the next training batch in a background thread (``--prefetch``) make
    training faster. Where the model's threads already use every core, the drawing takes cores
    from the model and holds Python's lock while it runs: on 2 cores with torch on both it gained
    nothing (keypoint epochs 2-8 % slower, within the noise), while with torch on one of them
    keypoint epochs were 12-51 % faster than the same setting in turn (BENCHMARKS.md, issue 15).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    backend = os.environ.get("KERAS_BACKEND", "torch")
    if backend == "torch":
        import torch

        return torch.cuda.is_available() or torch.get_num_threads() < cores
    if backend == "jax":
        import jax

        return jax.default_backend() != "cpu"
    return False
