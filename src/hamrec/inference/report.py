"""Evaluation + every plot + ``index.html``: what ``inference_hamnosys.py --visualize`` writes."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable

from ..atomic import write_json
from ..data.cache import RecordingCache
from . import visualize as vis
from .evaluate import evaluate_dir, evaluate_split
from .predict import Recognizer


def report(
    rec: Recognizer,
    out_dir: str | Path,
    metrics: dict | None = None,
    data_dir: str | Path | None = None,
    samples: int = 4,
    curves: Path | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Evaluate (the held-out split saved with the model, or ``data_dir``) unless ``metrics`` are given;
    write ``metrics.json``, the plots and ``index.html``. ``curves``: a training-curves image already
    drawn; without it they are drawn from the training beside the model file, when there is one."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if metrics is None:
        metrics = evaluate_dir(rec, data_dir) if data_dir is not None else evaluate_split(rec)
    write_json(out_dir / "metrics.json", metrics)
    images: list[tuple[str, Path]] = []
    if curves is None and rec.path is not None:
        curves = vis.plot_training_curves(rec.path.parent, out_dir / "training_curves.png")
    if curves:
        images.append(("Training curves of every run", curves))
    if metrics["count"]:
        images.append(("Top-k accuracy", vis.plot_topk(metrics, out_dir / "topk_accuracy.png")))
        images.append(("Confusion matrix", vis.plot_confusion(metrics, out_dir / "confusion_matrix.png")))
        images.append(("Per-class accuracy", vis.plot_per_class(metrics, out_dir / "per_class_accuracy.png")))
    cache = RecordingCache(None)
    shown = metrics["predictions"][:: max(1, len(metrics["predictions"]) // max(1, samples))][:samples]
    for i, p in enumerate(shown):
        seq = cache.load(p["file"])  # evaluated already, so it reads and fits the model
        res = {"file": p["file"], "top_k": rec.top_k(rec.probabilities([seq])[0], 3)}
        title = f"true {p['label']} — predicted {res['top_k'][0]['label']} ({res['top_k'][0]['probability']:.0%})"
        images.append((f"Sample {i + 1}: candidates", vis.plot_candidates(res, out_dir / f"sample{i + 1}_topk.png", p["label"])))
        images.append((f"Sample {i + 1}: motion", vis.draw_motion(seq, out_dir / f"sample{i + 1}_motion.png", title)))
        gif = vis.animate_motion(seq, out_dir / f"sample{i + 1}_motion.gif", title)
        if gif:
            images.append((f"Sample {i + 1}: animation", gif))
    page = write_html(out_dir / "index.html", rec.path, metrics, images)
    log(f"{metrics['split']}: top-1 {metrics['top1']:.3f} top-2 {metrics['top2']:.3f} top-3 {metrics['top3']:.3f} on {metrics['count']} recordings"
        + (f", {len(metrics['skipped'])} skipped" if metrics["skipped"] else "")
        + ("; parameters " + ", ".join(f"{p} {a:.3f}" for p, a in metrics["parameters"].items()) if metrics.get("parameters") else ""))  # fmt: skip
    return page


def write_html(out: Path, model_path, metrics: dict, images: list[tuple[str, Path]]) -> Path:
    e = html.escape
    rows = "".join(f"<tr><td>{e(k)}</td><td>{v['count']}</td><td>{v['top1']:.1%}</td></tr>" for k, v in sorted(metrics["per_class"].items()))
    skipped = "".join(f"<li><code>{e(s['file'])}</code>: {e(s['reason'])}</li>" for s in metrics["skipped"])
    params = metrics.get("parameters") or {}
    params_table = ("<h2>HamNoSys parameters</h2><p>Accuracy of the model's phonological heads on the recordings whose label has notation.</p>"
                    "<table><tr><th>parameter</th><th>accuracy</th></tr>"
                    + "".join(f"<tr><td>{e(p)}</td><td>{a:.1%}</td></tr>" for p, a in params.items()) + "</table>") if params else ""  # fmt: skip
    figs = "".join(f'<figure><img src="{e(p.name)}" alt="{e(t)}"><figcaption>{e(t)}</figcaption></figure>' for t, p in images)
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hamrec report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}} img{{max-width:100%;border:1px solid #ddd}}
figure{{margin:1em 0}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 8px}}</style></head><body>
<h1>hamrec evaluation</h1>
<p>Model <code>{e(str(model_path))}</code>, evaluated on <b>{e(str(metrics['split']))}</b> ({metrics['count']} recordings).</p>
<table><tr><th>top-1</th><th>top-2</th><th>top-3</th></tr>
<tr><td>{metrics['top1']:.1%}</td><td>{metrics['top2']:.1%}</td><td>{metrics['top3']:.1%}</td></tr></table>
{params_table}
{figs}
<h2>Per-class accuracy</h2><table><tr><th>class</th><th>recordings</th><th>top-1</th></tr>{rows}</table>
<h2>Skipped files ({len(metrics['skipped'])})</h2><ul>{skipped or '<li>none</li>'}</ul>
<p>Raw numbers: <a href="metrics.json">metrics.json</a></p></body></html>"""
    out.write_text(body, encoding="utf-8")
    return out

