"""What a trained model needs to turn recordings into predictions, in one object.

Training writes a :class:`ModelContract` into ``best_model.keras`` (as ``hamrec.json`` inside
the zip archive, so a model can never be separated from its label map), and inference reads it
back. Everything that turns recordings into model inputs — validation data, the training
sampler, :class:`~hamrec.inference.predict.Recognizer` — calls :meth:`ModelContract.encode`,
so the two sides cannot drift apart. Reading the contract needs no Keras; saving and loading
the model do, and import it only then.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .data.sequence import SequenceBatch, SignSequence
from .features import FeatureSpec, Normalizer, prepare, prepare_batch

METADATA_NAME = "hamrec.json"
#: the schema this version writes and reads; bump it when a change cannot be read back
SCHEMA = "hamrec-model/1"


@dataclass
class ModelContract:
    """Labels, features, normalisation and split of one model.

    Attributes:
        classes: the label space, in output order.
        labels: class -> {"gloss", "hamnosys", "hamnosys_names", ...}.
        spec: how a recording becomes (T, F) features.
        normalizer: per-feature statistics of the training split.
        split: "train" / "val" / "test" -> [{"path", "label", "group"}], made before any augmentation.
        classes_trained: the classes the model has been trained on so far (all, once training ends).
        info: the rest, for people: datasets, model and training config, what it was trained on, when.
    """

    classes: list[str]
    labels: dict[str, dict]
    spec: FeatureSpec
    normalizer: Normalizer
    split: dict[str, list[dict]] = field(default_factory=dict)
    classes_trained: list[str] | None = None
    info: dict = field(default_factory=dict)

    def encode(self, seqs: list[SignSequence]) -> dict[str, np.ndarray]:
        """Recordings -> model inputs {"features": (N, T, F), "mask": (N, T)}; a layout mismatch raises RecordingError."""
        return self._inputs(*prepare(seqs, self.spec))

    def encode_batch(self, batch: SequenceBatch) -> dict[str, np.ndarray]:
        """The same for recordings already padded into one batch (the training sampler's augmented draws)."""
        return self._inputs(*prepare_batch(batch, self.spec))

    def _inputs(self, x: np.ndarray, m: np.ndarray) -> dict[str, np.ndarray]:
        return {"features": self.normalizer(x, m), "mask": m.astype(np.float32)}

    def held_out(self) -> str:
        """The split a finished model is judged on: test when there is one, else validation."""
        return "test" if self.split.get("test") else "val"

    def to_dict(self) -> dict:
        return {"format": SCHEMA, "classes": self.classes, "labels": self.labels, "classes_trained": self.classes_trained,
                "feature_spec": self.spec.to_dict(), "normalizer": self.normalizer.to_dict(), "split": self.split, **self.info}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict, where: str = "the model") -> "ModelContract":
        """Raises ValueError naming ``where`` for another schema or missing fields."""
        found = d.get("format", SCHEMA)  # test fixtures and the earliest models carry no format
        if found != SCHEMA:
            raise ValueError(f"--model-path: {where} was written as {found!r}; this hamrec reads {SCHEMA!r}: "
                             "use the hamrec version that trained it, or train the model again")  # fmt: skip
        missing = [k for k in ("classes", "feature_spec", "normalizer") if k not in d]
        if missing:
            raise ValueError(f"--model-path: {where} has no {', '.join(missing)} in its {METADATA_NAME}; expected a model written by hamrec")
        known = {"format", "classes", "labels", "classes_trained", "feature_spec", "normalizer", "split"}
        return cls(d["classes"], d.get("labels", {}), FeatureSpec.from_dict(d["feature_spec"]), Normalizer.from_dict(d["normalizer"]),
                   d.get("split", {}), d.get("classes_trained"), {k: v for k, v in d.items() if k not in known})  # fmt: skip

    @classmethod
    def read(cls, path: str | Path) -> "ModelContract":
        """The contract of a saved model, without loading Keras.

        Raises:
            ValueError: no such file, not a ``.keras`` archive written by hamrec, or another schema.
        """
        expected = "expected a best_model.keras written by hamrec"
        if Path(path).is_dir():
            raise ValueError(f"--model-path: {path} is a folder without a model.onnx, so neither a .keras model nor a hamrec export; "
                             f"{expected}, or a folder written by hamrec export")  # fmt: skip
        try:
            with zipfile.ZipFile(path) as z:
                d = json.loads(z.read(METADATA_NAME))
        except FileNotFoundError:
            raise ValueError(f"--model-path: {path} does not exist") from None
        except (zipfile.BadZipFile, KeyError) as e:
            raise ValueError(f"--model-path: {path} is not a hamrec .keras model ({e}); {expected}") from e
        except json.JSONDecodeError as e:
            raise ValueError(f"--model-path: {path}: its {METADATA_NAME} is not valid JSON ({e}); the file is damaged; {expected}") from e
        except OSError as e:  # unreadable (permissions) or damaged inside the archive
            raise ValueError(f"--model-path: {path} cannot be read ({type(e).__name__}: {e}); {expected}") from e
        return cls.from_dict(d, str(path))

    def save(self, model, path: str | Path) -> None:
        """Write ``model`` with this contract to ``path`` atomically (temporary file, then rename)."""
        with atomic_path(path) as tmp:
            model.save(tmp)
            with zipfile.ZipFile(tmp, "a") as z:
                z.writestr(METADATA_NAME, json.dumps(self.to_dict(), ensure_ascii=False))

    def write_into(self, path: str | Path) -> None:
        """Replace the contract inside the saved model at ``path`` (atomically), leaving the weights as they are; no Keras needed."""
        with zipfile.ZipFile(path) as src:  # read first and close: Windows cannot rename over an open file
            entries = [(item, src.read(item.filename)) for item in src.infolist() if item.filename != METADATA_NAME]
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for item, data in entries:
                dst.writestr(item, data)
            dst.writestr(METADATA_NAME, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path):
        """(Keras model, contract); our layers are registered, so no custom objects are needed."""
        contract = cls.read(path)
        from . import backend

        backend.configure()
        import keras

        from .model import layers  # noqa: F401  (registers the custom layers)

        try:
            return keras.saving.load_model(path, compile=False), contract
        except Exception as e:
            cause = e
            while cause.__cause__ or cause.__context__:
                cause = cause.__cause__ or cause.__context__
            why = (str(cause).splitlines() or ["no message"])[0][:160]
            saved = _saved_by(path)
            if saved is None or _release(saved) <= _release(keras.__version__):
                raise ValueError(f"--model-path: {path}: Keras cannot load the model inside ({type(cause).__name__}: {why}); the file may be "
                                 "truncated or damaged; expected a best_model.keras written by hamrec (latest_model.keras in the same "
                                 "folder is the other copy)") from e  # fmt: skip
            raise ValueError(f"--model-path: {path} was saved by Keras {saved}, and this environment's Keras {keras.__version__} cannot read it "
                             f"({why}); expected Keras {saved} or newer: pip install -U \"keras>={saved}\" "
                             "(on Python 3.10 Keras stops at 3.12), or export the model where it was trained (hamrec export) "
                             "and run the export with python -m hamrec.runtime, which needs neither Keras nor torch") from e  # fmt: skip


def _saved_by(path: str | Path) -> str | None:
    """The Keras version that wrote the ``.keras`` archive at ``path`` (its ``metadata.json``), or None.

    Keras reads models written by older versions but not always by newer ones: 3.12 refuses the
    ``quantization_config`` that 3.15 writes into every Dense layer. On Python 3.10 Keras stops at
    3.12, so a model trained on Python 3.11+ and loaded on 3.10 meets exactly that.
    """
    try:
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read("metadata.json")).get("keras_version")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _release(version: str) -> tuple[int, ...]:
    """'3.15.1' (or '3.16.0.dev2026') -> (3, 15, 1): the numbers that order releases."""
    return tuple(int(n) for n in re.findall(r"\d+", version)[:3])
