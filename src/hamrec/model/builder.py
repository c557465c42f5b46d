"""Build and compile the recognizer."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers

from .layers import ConvBlock, MaskedPooling, PositionalEmbedding, TransformerBlock


@dataclass(frozen=True)
class ModelConfig:
    """Architecture; saved with the model.

    Attributes:
        dim: width of every block; must divide by ``heads``.
        heads: attention heads per transformer block (12, as the seed README promises).
        blocks: "conv" (temporal depthwise conv) and "attn" (self-attention) blocks, in order.
        kernel_size: temporal kernel of the conv blocks, in frames.
        dropout: dropout inside blocks and before the classifier.
        drop_path: stochastic-depth rate of the last block (linearly less for earlier ones).
    """

    dim: int = 96
    heads: int = 12
    blocks: tuple[str, ...] = ("conv", "conv", "attn", "conv", "attn")
    kernel_size: int = 5
    dropout: float = 0.1
    drop_path: float = 0.1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["blocks"] = list(self.blocks)
        return d


PRESETS = {
    "tiny": ModelConfig(dim=96, blocks=("conv", "attn", "conv", "attn")),
    "small": ModelConfig(dim=192, blocks=("conv", "conv", "attn", "conv", "conv", "attn")),
    "base": ModelConfig(dim=384, blocks=("conv", "conv", "attn") * 3, drop_path=0.2),
}


def build_model(seq_len: int, num_features: int, num_classes: int, cfg: ModelConfig = PRESETS["tiny"]) -> keras.Model:
    """Inputs ``features`` (B, T, F) and ``mask`` (B, T); output class probabilities (B, num_classes)."""
    feats = keras.Input((seq_len, num_features), name="features")
    mask = keras.Input((seq_len,), name="mask")
    x = layers.Dense(cfg.dim, name="embed")(feats)  # (B, T, dim)
    x = PositionalEmbedding(seq_len, cfg.dim, name="position")(x)
    n = len(cfg.blocks)
    for i, kind in enumerate(cfg.blocks):
        rate = cfg.drop_path * (i + 1) / n
        if kind == "conv":
            x = ConvBlock(cfg.dim, cfg.kernel_size, dropout=cfg.dropout, drop_path=rate, name=f"conv{i}")([x, mask])
        elif kind == "attn":
            x = TransformerBlock(cfg.dim, cfg.heads, dropout=cfg.dropout, drop_path=rate, name=f"attn{i}")([x, mask])
        else:
            raise ValueError(f"model block {kind!r}: expected 'conv' or 'attn'")
    x = MaskedPooling(name="pool")([x, mask])  # (B, 2 dim)
    x = layers.LayerNormalization(name="head_norm")(x)
    x = layers.Dropout(cfg.dropout)(x)
    out = layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return keras.Model({"features": feats, "mask": mask}, out, name="hamrec")


def compile_model(model: keras.Model, lr: float, gamma: float = 0.0, label_smoothing: float = 0.1, weight_decay: float = 0.05) -> None:
    """AdamW + focal loss + top-1/2/3 accuracy.

    Per-class alpha comes from class frequencies and is applied as sample weights by the data
    pipeline when classes are not drawn balanced (Keras' focal loss takes a scalar alpha only),
    so ``alpha=1`` here and the loss equals cross-entropy at ``gamma=0``.
    """
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=lr, weight_decay=weight_decay, clipnorm=1.0),
        loss=keras.losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=gamma, label_smoothing=label_smoothing),
        # top-k of fewer than k classes is every class (always right); the backend's top-k refuses k > C
        metrics=[keras.metrics.TopKCategoricalAccuracy(k=min(k, model.output_shape[-1]), name=f"top{k}") for k in (1, 2, 3)],
    )
