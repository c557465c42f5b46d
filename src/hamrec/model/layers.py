"""Custom layers, registered so that ``keras.saving.load_model(path, compile=False)`` needs no ``custom_objects``.

Every block takes ``[x, mask]`` with x (B, T, C) and mask (B, T) in {0, 1}, and returns
(B, T, C) with padded frames set to 0, so nothing in a padded frame can reach a valid one.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

PACKAGE = "hamrec"


@keras.saving.register_keras_serializable(package=PACKAGE)
class PositionalEmbedding(layers.Layer):
    """Add a learned embedding of the frame index: (B, T, C) -> (B, T, C)."""

    def __init__(self, seq_len: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.seq_len, self.dim = seq_len, dim

    def build(self, input_shape):
        self.pos = self.add_weight(shape=(1, self.seq_len, self.dim), initializer=keras.initializers.RandomNormal(stddev=0.02), name="pos")

    def call(self, x):
        return x + self.pos

    def get_config(self):
        return {**super().get_config(), "seq_len": self.seq_len, "dim": self.dim}


@keras.saving.register_keras_serializable(package=PACKAGE)
class DropPath(layers.Layer):
    """Stochastic depth: drop a whole residual branch per sample during training.

    Each layer's seed is drawn from Keras' global seed (``keras.utils.set_random_seed``), so
    every block drops its own samples and ``--seed`` reaches them.
    """

    def __init__(self, rate: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = keras.random.SeedGenerator()

    def call(self, x, training=None):
        if not training or self.rate == 0:
            return x
        keep = 1.0 - self.rate
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        noise = keras.random.uniform(shape, seed=self.seed)
        return x * ops.cast(noise < keep, x.dtype) / keep

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConvBlock(layers.Layer):
    """Pre-norm residual temporal block: LayerNorm -> depthwise Conv1D -> pointwise MLP (GELU)."""

    def __init__(self, dim: int, kernel_size: int = 5, expand: int = 2, dropout: float = 0.1, drop_path: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.kernel_size, self.expand, self.dropout, self.drop_path = dim, kernel_size, expand, dropout, drop_path
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.dw = layers.DepthwiseConv1D(kernel_size, padding="same")
        self.up = layers.Dense(dim * expand, activation="gelu")
        self.down = layers.Dense(dim)
        self.drop = layers.Dropout(dropout)
        self.stoch = DropPath(drop_path)

    def build(self, input_shape):
        x_shape = tuple(input_shape[0])
        self.norm.build(x_shape)
        self.dw.build(x_shape)
        self.up.build(x_shape)
        self.down.build(x_shape[:-1] + (self.dim * self.expand,))

    def call(self, inputs, training=None):
        x, mask = inputs
        m = ops.expand_dims(mask, -1)  # (B, T, 1)
        h = self.dw(self.norm(x) * m)
        h = self.drop(self.down(self.up(h)), training=training)
        return (x + self.stoch(h, training=training)) * m

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "kernel_size": self.kernel_size, "expand": self.expand,
                "dropout": self.dropout, "drop_path": self.drop_path}  # fmt: skip


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransformerBlock(layers.Layer):
    """Pre-norm transformer block: masked multi-head self-attention and an MLP, each residual."""

    def __init__(self, dim: int, heads: int = 12, expand: int = 2, dropout: float = 0.1, drop_path: float = 0.0,
                 attention_dropout: float | None = None, **kwargs):  # fmt: skip
        """``attention_dropout``: dropout of the attention weights (None: ``dropout``, as models saved before it had).
        At 0, Keras computes attention with the backend's fused kernel, which on a CPU is much faster."""
        super().__init__(**kwargs)
        if dim % heads:
            raise ValueError(f"model dim {dim} is not divisible by --heads {heads}")
        self.dim, self.heads, self.expand, self.dropout, self.drop_path = dim, heads, expand, dropout, drop_path
        self.attention_dropout = dropout if attention_dropout is None else attention_dropout
        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads, dropout=self.attention_dropout)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.up = layers.Dense(dim * expand, activation="gelu")
        self.down = layers.Dense(dim)
        self.drop = layers.Dropout(dropout)
        self.stoch1 = DropPath(drop_path)
        self.stoch2 = DropPath(drop_path)

    def build(self, input_shape):
        x_shape = tuple(input_shape[0])
        self.norm1.build(x_shape)
        self.attn.build(x_shape, x_shape)
        self.norm2.build(x_shape)
        self.up.build(x_shape)
        self.down.build(x_shape[:-1] + (self.dim * self.expand,))

    def call(self, inputs, training=None):
        x, mask = inputs
        m = ops.expand_dims(mask, -1)  # (B, T, 1)
        keys = ops.cast(ops.expand_dims(mask, 1), "bool")  # (B, 1, T): every query may attend to valid frames only
        h = self.norm1(x)
        h = self.attn(h, h, attention_mask=ops.broadcast_to(keys, (ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[1])), training=training)
        x = (x + self.stoch1(h, training=training)) * m
        h = self.drop(self.down(self.up(self.norm2(x))), training=training)
        return (x + self.stoch2(h, training=training)) * m

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads, "expand": self.expand,
                "dropout": self.dropout, "drop_path": self.drop_path, "attention_dropout": self.attention_dropout}  # fmt: skip


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskedPooling(layers.Layer):
    """(B, T, C), (B, T) -> (B, 2C): mean and max over valid frames only."""

    def call(self, inputs):
        x, mask = inputs
        m = ops.expand_dims(mask, -1)
        mean = ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)
        mx = ops.max(ops.where(m > 0, x, -1e9), axis=1)
        return ops.concatenate([mean, mx], axis=-1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Columns(layers.Layer):
    """(B, T, F) -> (B, T, len(columns)): the feature columns one phonological head reads."""

    def __init__(self, columns: list[int], **kwargs):
        super().__init__(**kwargs)
        self.columns = [int(c) for c in columns]
        self.index = np.asarray(self.columns, "int32")  # an array, not the list: Keras converts a list element by element on every call

    def call(self, x):
        return ops.take(x, self.index, axis=-1)

    def get_config(self):
        return {**super().get_config(), "columns": self.columns}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClassDistance(layers.Layer):
    """(B, D) pooled features -> (B,) "known sign" score: minus the squared Mahalanobis distance to the nearest class centre.

    The statistics are fitted after training (:func:`hamrec.inference.open_set.fit_distance`) and
    stored as fixed weights, so the score travels inside the saved model and its ONNX export:
    ``whiten`` (D, D), with ``x @ whiten - offset`` whitened by the shared within-class
    covariance and scaled so that the median training recording is at distance 1 from its
    class, and ``centres`` (C, D), the class means in those coordinates. The offset (the mean
    of the centres) keeps the numbers small for float32.
    """

    def __init__(self, classes: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.classes, self.dim = int(classes), int(dim)

    def build(self, input_shape):
        self.whiten = self.add_weight(shape=(self.dim, self.dim), initializer="identity", trainable=False, name="whiten")
        self.offset = self.add_weight(shape=(self.dim,), initializer="zeros", trainable=False, name="offset")
        self.centres = self.add_weight(shape=(self.classes, self.dim), initializer="zeros", trainable=False, name="centres")

    def call(self, x):
        z = ops.matmul(x, self.whiten) - self.offset  # (B, D)
        diff = ops.expand_dims(z, 1) - self.centres  # (B, C, D): differences, not |z|^2 - 2 z.c + |c|^2, which cancels in float32
        return -ops.min(ops.sum(diff * diff, axis=-1), axis=-1)  # (B,)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "dim": self.dim}
