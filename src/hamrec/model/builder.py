"""Build and compile the recognizer."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers

from ..outputs import CLASSES, HEAD, KNOWN
from .layers import ClassDistance, Columns, ConvBlock, MaskedPooling, PositionalEmbedding, TransformerBlock


@dataclass(frozen=True)
class ModelConfig:
    """Architecture; saved with the model.

    Attributes:
        dim: width of every block; must divide by ``heads``.
        heads: attention heads per transformer block (12, as the seed README promises).
        blocks: "conv" (temporal depthwise conv) and "attn" (self-attention) blocks, in order.
        kernel_size: temporal kernel of the conv blocks, in frames.
        dropout: dropout inside blocks and before the classifier.
        attention_dropout: dropout of the attention weights (``--attention-dropout``).
        drop_path: stochastic-depth rate of the last block (linearly less for earlier ones).
    """

    dim: int = 96
    heads: int = 12
    blocks: tuple[str, ...] = ("conv", "conv", "attn", "conv", "attn")
    kernel_size: int = 5
    dropout: float = 0.1
    attention_dropout: float = 0.1
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


#: the layer whose output (B, 2 dim) is the pooled features the classes are read from
POOLED = "head_norm"


def build_model(seq_len: int, num_features: int, num_classes: int, cfg: ModelConfig = PRESETS["tiny"],
                parameters: dict[str, int] | None = None, groups: dict[str, tuple[list[str], list[int]]] | None = None) -> keras.Model:  # fmt: skip
    """Inputs ``features`` (B, T, F) and ``mask`` (B, T); output class probabilities (B, num_classes).

    With ``parameters`` (HamNoSys parameter -> number of values) the model also predicts each
    parameter, and its output is a dict: ``classes`` and ``param_<name>`` (B, values). A
    parameter of none of ``groups`` is read from the classifier's pooled features, so what it
    learns (movement, symmetry…, each shared by many signs) shapes the features the classes are
    read from. ``groups`` (name -> (parameters, feature columns);
    :meth:`hamrec.features.FeatureSpec.parameter_groups`) gives parameters a pathway of their
    own that sees only their columns: a head that reads only the hands' shape cannot answer by
    recognising the whole sign, so it carries over to signs it never saw.
    """
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
            x = TransformerBlock(cfg.dim, cfg.heads, dropout=cfg.dropout, drop_path=rate, attention_dropout=cfg.attention_dropout,
                                 name=f"attn{i}")([x, mask])
        else:
            raise ValueError(f"model block {kind!r}: expected 'conv' or 'attn'")
    x = MaskedPooling(name="pool")([x, mask])  # (B, 2 dim)
    x = layers.LayerNormalization(name=POOLED)(x)
    x = layers.Dropout(cfg.dropout)(x)
    out = layers.Dense(num_classes, activation="softmax", name=CLASSES)(x)
    if parameters:
        read_from = {p: x for p in parameters}  # parameter -> the pooled features its head reads
        for name, (params, columns) in (groups or {}).items():
            mine = [p for p in params if p in parameters]
            if mine:
                read_from.update(dict.fromkeys(mine, _pathway(feats, mask, columns, cfg, name)))
        out = {CLASSES: out, **{HEAD + p: layers.Dense(n, activation="softmax", name=HEAD + p)(read_from[p]) for p, n in parameters.items()}}
    return keras.Model({"features": feats, "mask": mask}, out, name="hamrec")


def _pathway(feats, mask, columns: list[int], cfg: ModelConfig, name: str):
    """(B, T, F) -> (B, 2 dim): the pooled features of one group's columns (a temporal conv block on their own embedding)."""
    x = Columns(columns, name=f"{name}_columns")(feats)
    x = layers.Dense(cfg.dim, name=f"{name}_embed")(x)
    x = ConvBlock(cfg.dim, cfg.kernel_size, dropout=cfg.dropout, name=f"{name}_conv")([x, mask])
    x = MaskedPooling(name=f"{name}_pool")([x, mask])
    x = layers.LayerNormalization(name=f"{name}_norm")(x)
    return layers.Dropout(cfg.dropout)(x)


def pooled_features(model: keras.Model) -> keras.Model:
    """The model's inputs -> its pooled features (B, 2 dim), which every class score is read from."""
    return keras.Model(model.inputs, model.get_layer(POOLED).output, name="pooled")


def with_known(model: keras.Model, whiten, offset, centres) -> keras.Model:
    """The same model (same layers and weights) with one more output, ``known`` (B,): the :class:`ClassDistance` score of its pooled features.

    Added to the delivered model once training is over, with statistics of the recordings it
    was trained on; a model that already has it gets new statistics.
    """
    out = model.output if isinstance(model.output, dict) else {CLASSES: model.output}
    out = {k: v for k, v in out.items() if k != KNOWN}
    pooled = model.get_layer(POOLED).output
    layer = ClassDistance(centres.shape[0], centres.shape[1], name=KNOWN)
    known = layer(pooled)
    layer.set_weights([whiten, offset, centres])
    return keras.Model(model.inputs, {**out, KNOWN: known}, name=model.name)


def output_names(model: keras.Model) -> list[str]:
    """The names of a model's outputs, ``classes`` first (a single-output model: just ``classes``)."""
    if not isinstance(model.output, dict):
        return [CLASSES]
    return [CLASSES] + sorted(n for n in model.output if n != CLASSES)


def class_output(out):
    """The class probabilities of a model's output: the output itself, or its ``classes`` entry for a model with heads."""
    return out[CLASSES] if isinstance(out, dict) else out


def head_names(model: keras.Model) -> list[str]:
    """The parameters a model has heads for (none for a model without them)."""
    return [n[len(HEAD) :] for n in output_names(model) if n.startswith(HEAD)]


def compile_model(model: keras.Model, lr: float, gamma: float = 0.0, label_smoothing: float = 0.1, weight_decay: float = 0.05,
                  parameter_weight: float = 0.0, average_steps: float = 0.0) -> None:  # fmt: skip
    """AdamW + focal loss + top-1/2/3 accuracy, and for a model with heads cross-entropy and accuracy per parameter.

    Per-class alpha comes from class frequencies and is applied as sample weights by the data
    pipeline when classes are not drawn balanced (Keras' focal loss takes a scalar alpha only),
    so ``alpha=1`` here and the loss equals cross-entropy at ``gamma=0``. Each parameter head's
    loss counts ``parameter_weight`` times the class loss; a recording whose label has no
    notation has all-zero parameter targets, so it adds nothing to their loss or accuracy.
    Keras names a multi-output model's metrics after the output (``classes_top1``);
    :func:`hamrec.training.callbacks.plain_names` gives them back their single-output names.
    ``average_steps`` > 1: the optimizer also keeps a moving average of the weights over about
    that many steps (:class:`hamrec.training.callbacks.AveragedWeights`).
    """
    classes = class_output(model.output).shape[-1]
    # top-k of fewer than k classes is every class (always right); the backend's top-k refuses k > C
    top_k = [keras.metrics.TopKCategoricalAccuracy(k=min(k, classes), name=f"top{k}") for k in (1, 2, 3)]
    loss = keras.losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=gamma, label_smoothing=label_smoothing)
    heads = head_names(model)
    if heads:
        loss = {CLASSES: loss, **{HEAD + p: keras.losses.CategoricalCrossentropy() for p in heads}}
        loss_weights = {CLASSES: 1.0, **{HEAD + p: parameter_weight for p in heads}}
        metrics = {CLASSES: top_k, **{HEAD + p: [PresentAccuracy(name="acc")] for p in heads}}
    else:
        loss_weights, metrics = None, top_k
    average = {"use_ema": True, "ema_momentum": 1.0 - 1.0 / average_steps} if average_steps > 1 else {}
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr, weight_decay=weight_decay, clipnorm=1.0, **average), loss=loss,
                  loss_weights=loss_weights, metrics=metrics)  # fmt: skip


class PresentAccuracy(keras.metrics.Mean):
    """Accuracy over the rows whose one-hot target is not all zero (a label with no notation has no parameter to be right about)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        present = ops.cast(ops.sum(y_true, axis=-1) > 0, "float32")
        hit = ops.cast(ops.argmax(y_true, axis=-1) == ops.argmax(y_pred, axis=-1), "float32")
        weight = present if sample_weight is None else present * ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        return super().update_state(hit, sample_weight=weight)
