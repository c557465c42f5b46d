"""The recognizer: Keras 3 layers (backend-agnostic ``keras.ops``) and its builder.

Importing this package imports Keras (on torch unless ``KERAS_BACKEND`` says otherwise) and
registers hamrec's layers, so ``keras.saving.load_model(path, compile=False)`` works after
``import hamrec.model``. Models are saved and loaded with their labels through
:class:`hamrec.contract.ModelContract`.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from . import layers  # noqa: E402,F401  (registers the custom layers)
