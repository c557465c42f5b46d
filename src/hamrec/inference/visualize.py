"""Plots a person wants to look at: training curves, confusion, per-class and top-k accuracy,
candidate bars and the motion itself. Each function writes one PNG (or GIF) and returns its path."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..data.formats import keypoints as kp
from ..data.sequence import SignSequence


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return out


def plot_training_curves(model_dir: Path, out: Path, summary: dict | None = None) -> Path | None:
    """Loss, val top-1/2/3 and learning rate of every run, end to end, in the order they ran; one colour per class batch.

    The runs and their CSV logs come from the training summary (``summary``, else the model
    folder's ``training_summary.json``); None when there is none or no run logged an epoch.
    """
    import json

    from ..model_dir import SUMMARY

    model_dir = Path(model_dir)
    if summary is None:
        if not (model_dir / SUMMARY).is_file():
            return None
        summary = json.loads((model_dir / SUMMARY).read_text(encoding="utf-8"))
    runs = [(r["batch"], model_dir / r["csv"]) for r in summary.get("training_runs", []) if r.get("csv") and (model_dir / r["csv"]).is_file()]
    if not runs:
        return None
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
    cmap = plt.get_cmap("tab10")
    offset = 0
    for batch, path in runs:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            continue
        x = offset + np.arange(1, len(rows) + 1)
        col = lambda k: np.array([float(r[k]) if r.get(k) not in (None, "", "NA") else np.nan for r in rows])  # noqa: E731
        c = cmap((batch - 1) % 10)
        axes[0, 0].plot(x, col("loss"), color=c, label=path.stem)
        axes[0, 0].plot(x, col("val_loss"), color=c, ls="--")
        axes[0, 1].plot(x, col("val_top1"), color=c)
        axes[1, 0].plot(x, col("val_top2"), color=c, ls="-")
        axes[1, 0].plot(x, col("val_top3"), color=c, ls=":")
        if "learning_rate" in rows[0]:
            axes[1, 1].plot(x, col("learning_rate"), color=c)
        for ax in axes.flat:
            ax.axvline(offset + 0.5, color="0.85", lw=0.8)
        offset += len(rows)
    axes[0, 0].set_title("loss (solid: train, dashed: val)")
    axes[0, 1].set_title("val top-1")
    axes[1, 0].set_title("val top-2 (solid) and top-3 (dotted)")
    axes[1, 1].set_title("learning rate")
    axes[1, 1].set_yscale("log")
    for ax in axes[1]:
        ax.set_xlabel("epoch (all runs, in order; grey lines start a run)")
    axes[0, 0].legend(fontsize=7, ncol=2)
    return _save(fig, out)


def plot_confusion(metrics: dict, out: Path) -> Path:
    """Row-normalised confusion matrix over the classes in the evaluation (absent classes are left out)."""
    plt = _plt()
    preds = metrics["predictions"]
    names = sorted({p["label"] for p in preds} | {p["predicted"] for p in preds})
    ids = {n: i for i, n in enumerate(names)}
    cm = np.zeros((len(names), len(names)))
    for p in preds:
        cm[ids[p["label"]], ids[p["predicted"]]] += 1
    rows = cm.sum(axis=1, keepdims=True)
    cm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    size = max(5, min(30, 0.22 * len(names) + 3))
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=max(4, 10 - len(names) // 15))
    ax.set_yticks(range(len(names)), names, fontsize=max(4, 10 - len(names) // 15))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"confusion ({metrics['split']}, row-normalised, top-1 {metrics['top1']:.1%})")
    fig.colorbar(im, ax=ax, fraction=0.03)
    return _save(fig, out)


def plot_per_class(metrics: dict, out: Path) -> Path:
    """Top-1 accuracy of each class, worst first."""
    plt = _plt()
    items = sorted(metrics["per_class"].items(), key=lambda kv: kv[1]["top1"])
    fig, ax = plt.subplots(figsize=(max(6, 0.18 * len(items) + 2), 4))
    ax.bar(range(len(items)), [v["top1"] for _, v in items], color="tab:blue")
    ax.set_xticks(range(len(items)), [k for k, _ in items], rotation=90, fontsize=max(4, 9 - len(items) // 20))
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("top-1 accuracy")
    ax.set_title(f"per-class accuracy ({metrics['split']}, {metrics['count']} recordings)")
    return _save(fig, out)


def plot_topk(metrics: dict, out: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3.5))
    vals = [metrics[f"top{k}"] for k in (1, 2, 3)]
    ax.bar(["top-1", "top-2", "top-3"], vals, color=["tab:blue", "tab:cyan", "tab:green"])
    for i, v in enumerate(vals):
        ax.text(i, v + 0.01, f"{v:.1%}", ha="center")
    ax.set_ylim(0, 1.1)
    ax.set_title(f"top-k accuracy ({metrics['count']} recordings)")
    return _save(fig, out)


def plot_candidates(result: dict, out: Path, true_label: str | None = None) -> Path:
    """Horizontal bars of one recording's top-k candidates."""
    plt = _plt()
    cands = result["top_k"][::-1]
    fig, ax = plt.subplots(figsize=(5, 0.5 * len(cands) + 1.2))
    colors = ["tab:green" if c["label"] == true_label else "tab:blue" for c in cands]
    ax.barh([c["gloss"] or c["label"] for c in cands], [c["probability"] for c in cands], color=colors)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    ax.set_title(Path(result["file"]).name + (f" (true: {true_label})" if true_label else ""), fontsize=9)
    return _save(fig, out)


def _draw_frame(ax, seq: SignSequence, t: int, lims) -> None:
    ax.clear()
    d, m = seq.data[t], seq.mask[t]
    for a, b in kp.BONES:
        if m[a] and m[b]:
            ax.plot([d[a, 0], d[b, 0]], [d[a, 1], d[b, 1]], color="tab:blue", lw=1)
    ax.scatter(d[m, 0], d[m, 1], s=3, color="tab:red")
    ax.set_xlim(*lims[0])
    ax.set_ylim(lims[1][1], lims[1][0])  # image coordinates: y grows downwards
    ax.set_aspect("equal")
    ax.axis("off")


def _limits(seq: SignSequence):
    pts = seq.data[seq.mask]
    lo, hi = np.nanmin(pts[:, :2], axis=0), np.nanmax(pts[:, :2], axis=0)
    pad = 0.05 * (hi - lo).max()
    return (lo[0] - pad, hi[0] + pad), (lo[1] - pad, hi[1] + pad)


def draw_motion(seq: SignSequence, out: Path, title: str = "") -> Path:
    """Keypoints: 6 skeleton frames across the sign. Other layouts: every channel over time."""
    plt = _plt()
    if seq.layout == kp.LAYOUT:
        frames = np.linspace(0, seq.num_frames - 1, 6).astype(int)
        fig, axes = plt.subplots(1, 6, figsize=(12, 2.8))
        lims = _limits(seq)
        for ax, t in zip(axes, frames):
            _draw_frame(ax, seq, t, lims)
            ax.set_title(f"frame {t}", fontsize=8)
    else:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        flat = seq.data.reshape(seq.num_frames, -1)
        for j in range(flat.shape[1]):
            ax.plot(np.arange(seq.num_frames) / seq.fps, flat[:, j], lw=0.8, label=seq.points[j] if flat.shape[1] <= 22 else None)
        ax.set_xlabel("seconds")
        if flat.shape[1] <= 22:
            ax.legend(fontsize=5, ncol=4)
    fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def animate_motion(seq: SignSequence, out: Path, title: str = "", max_frames: int = 60) -> Path | None:
    """Animated GIF of a keypoint recording (None for other layouts)."""
    if seq.layout != kp.LAYOUT:
        return None
    plt = _plt()
    from matplotlib.animation import FuncAnimation, PillowWriter

    frames = np.unique(np.linspace(0, seq.num_frames - 1, min(max_frames, seq.num_frames)).astype(int))
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    lims = _limits(seq)

    def update(t):
        _draw_frame(ax, seq, t, lims)
        ax.set_title(title, fontsize=9)

    anim = FuncAnimation(fig, update, frames=frames)
    out.parent.mkdir(parents=True, exist_ok=True)
    anim.save(out, writer=PillowWriter(fps=12))
    plt.close(fig)
    return out
