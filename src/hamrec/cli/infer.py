"""``inference_hamnosys.py`` / ``hamrec infer``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..model_dir import VIS
from .args import positive_int


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Recognise sign recordings with a trained hamrec model, evaluate it and draw the results.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    p.add_argument("--model-path", default="models/hamnosys/main_model/best_model.keras",
                   help="A .keras model written by hamrec, or a folder written by 'hamrec export' (run by ONNX Runtime)")
    p.add_argument("--input", nargs="+", metavar="FILE", help="Recordings to recognise (.pose, .pkl, .tsd, .npy, .npz, or a video such as .mp4 with the video extra)")
    p.add_argument("--data-dir", help="Evaluate every labelled recording in this dataset folder")
    p.add_argument("--format", choices=["auto", "pose", "auslan", "signavatars", "array", "video"], default="auto",
                   help="Format of the --data-dir recordings (auto: detected from the files)")
    p.add_argument("--lexicon", metavar="FILE", help="Also rank the signs of this HamNoSys lexicon by notation — recorded or not — from the "
                   "model's phonological heads: a data.json like hamnosys2motion's (type_name, hamnosys) or a CSV with columns gloss,hamnosys")  # fmt: skip
    p.add_argument("--top-k", type=positive_int, default=3, help="Candidates to show per recording")
    p.add_argument("--json", action="store_true", help="Print one JSON document instead of text")
    p.add_argument("--output-dir", help="Where metrics.json, plots and index.html go (None: the model's visualizations/)")
    p.add_argument("--visualize", action=argparse.BooleanOptionalAction, default=False, help="Draw plots and write index.html")
    p.add_argument("--samples", type=positive_int, default=4, help="Sample recordings drawn in the report")
    return p


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    model_path = Path(args.model_path)
    out_dir = Path(args.output_dir) if args.output_dir else (model_path if model_path.is_dir() else model_path.parent) / VIS
    from ..data.datasets import DatasetError, skipped_line

    try:
        load = loader(model_path)
        rec = load(model_path)
        lexicon = _lexicon(args.lexicon, rec)
        if args.input:
            return _recognise(args, rec, out_dir, lexicon)
        from ..inference.evaluate import evaluate_dir, evaluate_split

        if not args.data_dir and not rec.contract.split:
            raise ValueError(f"--model-path: {model_path} carries no split to evaluate (an export keeps none); give --data-dir or --input")
        metrics = evaluate_dir(rec, args.data_dir, fmt=args.format, lexicon=lexicon) if args.data_dir else evaluate_split(rec, lexicon=lexicon)
        if args.visualize:
            from ..inference.report import report

            page = report(rec, out_dir, metrics=metrics, samples=args.samples, log=lambda s: None if args.json else print(s))
        else:
            from ..atomic import write_json

            write_json(out_dir / "metrics.json", metrics)
            page = None
    except (ValueError, ImportError, DatasetError) as e:
        print(f"hamrec infer: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        keys = ("split", "count", "top1", "top2", "top3", "top5", "parameters", "lexicon", "known_accepted", "per_class", "skipped")
        print(json.dumps({k: metrics[k] for k in keys if k in metrics}, ensure_ascii=False, indent=1))
    else:
        print(f"evaluated {metrics['split']}: {metrics['count']} recordings — top-1 {metrics['top1']:.1%}, top-2 {metrics['top2']:.1%}, top-3 {metrics['top3']:.1%}"
              + (f"; {metrics['known_accepted']:.1%} recognised as known signs" if "known_accepted" in metrics else ""))
        if metrics.get("parameters"):
            print("HamNoSys parameters: " + ", ".join(f"{p} {a:.1%}" for p, a in metrics["parameters"].items()))
        if metrics.get("lexicon"):
            lx = metrics["lexicon"]
            print(f"by notation, among the {lx['entries']} signs of the lexicon: {lx['count']} recordings of its signs"
                  + (f" — top-1 {lx['top1']:.1%}, top-5 {lx['top5']:.1%} (chance {lx['chance_top5']:.1%})" if lx["count"] else ""))
        for s in metrics["skipped"]:
            print(f"  skipped {skipped_line(s)}")
        print(f"metrics: {out_dir / 'metrics.json'}" + (f"\nreport: {page}" if page else ""))
    return 0


def loader(model_path: Path):
    """``Recognizer.load`` for a .keras model, ``OnnxRecognizer.load`` for an export; a wrong path fails here, before Keras is loaded."""
    from ..export import is_export, read_exported

    if is_export(model_path):
        read_exported(model_path)
        from ..runtime import OnnxRecognizer

        return OnnxRecognizer.load
    from ..contract import ModelContract
    from ..inference.predict import Recognizer

    ModelContract.read(model_path)
    return Recognizer.load


def _lexicon(path: str | None, rec):
    """The ``--lexicon`` of a model that can use it, or None; raises ValueError saying what is wrong."""
    if not path:
        return None
    if not rec.parameters:
        raise ValueError(f"--lexicon needs a model with phonological heads; {rec.path} has none (trained on labels without HamNoSys, with "
                         "--parameter-weight 0, or an ONNX export, which keeps the classes only)")  # fmt: skip
    from ..inference.lexicon import Lexicon

    lexicon = Lexicon.read(path)
    if lexicon.skipped:
        print(f"--lexicon {path}: {len(lexicon.skipped)} entries skipped (notation does not parse), e.g. {lexicon.skipped[0]['gloss']}: "
              f"{lexicon.skipped[0]['reason']}", file=sys.stderr)  # fmt: skip
    return lexicon


def _recognise(args, rec, out_dir: Path, lexicon=None) -> int:
    results = rec.recognise_files(args.input, k=args.top_k, lexicon=lexicon)
    if args.visualize:
        from ..data.cache import RecordingCache
        from ..inference import visualize as vis

        for i, r in enumerate(results):
            if "top_k" in r:
                stem = f"input{i + 1}_{Path(r['file']).stem}"
                vis.plot_candidates(r, out_dir / f"{stem}_topk.png")
                seq = RecordingCache(None).load(r["file"])
                title = f"predicted {r['top_k'][0]['label']} ({r['top_k'][0]['probability']:.0%})"
                vis.draw_motion(seq, out_dir / f"{stem}_motion.png", title)
                vis.animate_motion(seq, out_dir / f"{stem}_motion.gif", title)
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=1))
    else:
        print_results(results, rec.labels)
        if args.visualize:
            print(f"plots: {out_dir}")
    return 0 if all("top_k" in r for r in results) else 1


def print_results(results: list[dict], labels: dict) -> None:
    """The text form of :meth:`~hamrec.inference.predict.Recognizer.recognise_files`' results (also the runtime's)."""
    for r in results:
        if "error" in r:
            print(f"{r['file']}: ERROR {r['error'].removeprefix(r['file'] + ': ')}")
            continue
        seen = r.get("hands_seen")
        print(f"{r['file']}:" + (f"  (hands seen in {seen['left']:.0%} / {seen['right']:.0%} of frames, left / right)" if seen else ""))
        if r.get("known") is False:
            print(f"  unknown — not a sign this model knows (score {r['known_score']:.2f} < {r['known_threshold']:.2f}); closest:")
        for rank, c in enumerate(r["top_k"], 1):
            extra = f"  gloss {c['gloss']}" if c["gloss"] and c["gloss"] != c["label"] else ""
            names = labels.get(c["label"], {}).get("hamnosys_names")
            extra += f"  HamNoSys {c['hamnosys']}" + (f" ({' '.join(names)})" if names else "") if c["hamnosys"] else ""
            print(f"  {rank}. {c['label']:<24} {c['probability']:6.1%}{extra}")
        if r.get("parameters"):
            print("  parameters seen: " + ", ".join(f"{p} {v['value']} ({v['probability']:.0%})" for p, v in r["parameters"].items()))
        if r.get("differences"):
            print("  1. and 2. differ in " + ", ".join(f"{p} ({a} / {b})" for p, (a, b) in r["differences"].items()))
        elif "differences" in r:
            print("  1. and 2. have the same parameters; their notations differ elsewhere")
        if r.get("lexicon"):
            print("  by notation:")
            for rank, c in enumerate(r["lexicon"], 1):
                print(f"  {rank}. {c['gloss']:<24} {c['score']:8.2f}  HamNoSys {c['hamnosys']}" + ("" if c["seen_in_training"] else "  (never trained on)"))
