"""Save and load models together with everything inference needs.

The metadata (labels with gloss and HamNoSys, feature spec, normalisation statistics, split,
training config) is stored as ``hamrec.json`` inside the ``.keras`` zip archive, so one file
is a complete recognizer and can never be separated from its label map. Keras ignores the
extra archive member when loading.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from ..atomic import atomic_path

METADATA_NAME = "hamrec.json"
#: the metadata schema this version writes and reads; bump it when a change cannot be read back
SCHEMA = "hamrec-model/1"


def save_model(model, path: str | Path, metadata: dict) -> None:
    """Write ``model`` and ``metadata`` to ``path`` atomically (temporary file, then rename)."""
    with atomic_path(path) as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as z:
            z.writestr(METADATA_NAME, json.dumps(metadata, ensure_ascii=False))


def read_metadata(path: str | Path) -> dict:
    """The metadata of a saved model, without loading Keras.

    Raises:
        ValueError: not a ``.keras`` archive written by hamrec.
    """
    try:
        with zipfile.ZipFile(path) as z:
            metadata = json.loads(z.read(METADATA_NAME))
    except FileNotFoundError:
        raise ValueError(f"--model-path: {path} does not exist") from None
    except (zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"--model-path: {path} is not a hamrec .keras model ({e}); expected a best_model.keras written by hamrec") from e
    found = metadata.get("format", SCHEMA)  # test fixtures and the earliest models carry no format
    if found != SCHEMA:
        raise ValueError(f"--model-path: {path} was written as {found!r}; this hamrec reads {SCHEMA!r}: "
                         "use the hamrec version that trained it, or train the model again")  # fmt: skip
    return metadata


def load_model(path: str | Path):
    """(keras model, metadata); no custom objects needed because our layers are registered."""
    import keras

    from . import layers  # noqa: F401  (registers the custom layers)

    metadata = read_metadata(path)
    return keras.saving.load_model(path, compile=False), metadata
