"""From a :class:`~hamrec.data.sequence.SignSequence` to a fixed-size model input.

``extract`` turns (T, P, D) points into (T, F) features (body-normalised keypoints, hands also
relative to their wrist, the face relative to its centre, velocities); ``fix_length`` resamples or pads to the model's length
with a frame mask; :class:`Normalizer` holds the training-split statistics that travel with
the model, so inference never refits anything.
"""

from .extract import FeatureSpec, Normalizer, extract, fix_length, has_face, prepare

__all__ = ["FeatureSpec", "Normalizer", "extract", "fix_length", "has_face", "prepare"]
