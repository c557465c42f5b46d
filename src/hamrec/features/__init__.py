"""From a :class:`~hamrec.data.sequence.SignSequence` to a fixed-size model input.

``extract`` turns a padded batch of (T, P, D) points into (T, F) features (body-normalised
keypoints, hands also relative to their wrist, the face relative to its centre); ``fix_length``
resamples or pads to the model's length with a frame mask; ``prepare`` adds velocities and
centred values; :class:`Normalizer` holds the training-split statistics that travel with
the model, so inference never refits anything.
"""

from .extract import FeatureSpec, Normalizer, extract, fix_length, has_face, prepare, prepare_batch, prepare_chunks

__all__ = ["FeatureSpec", "Normalizer", "extract", "fix_length", "has_face", "prepare", "prepare_batch", "prepare_chunks"]
