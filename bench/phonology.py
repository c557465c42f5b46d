"""HamNoSys recognition on renderings of the real lexicon (issue 17): parameters, glosses, and signs never recorded.

    python bench/phonology.py --json bench/results/phonology.json                     # |A| 300, |B| 100, seeds 0 1 2
    python bench/phonology.py --a 1000 --b 250 --seeds 0 --json bench/results/phonology.json   # the issue's size: 4 runs of 30-45 min here
    python bench/phonology.py --a 100 --b 50 --seeds 0 --train-recordings 1           # a quick look

The lexicon is ``../shared/data/hamnosys2motion/data.json``: its entries whose notation parses,
distinct notations only, shuffled once (fixed order); A is the first ``--a`` of them, B the next
``--b``. ``hamrec data synth`` renders A and B for six synthetic signers, one repetition each
(signers 1-3 train, 4 validates, 5 and 6 test). hamrec is trained through
``automated_training.py`` on renderings of A only — 1 or 3 recordings per sign (signer 1, or
signers 1-3) — with the CLI's defaults except all classes in one run
(``--max-classes-per-batch 0``: the class-batch plan would make 20+ runs of 15 classes here,
which this 2-core machine cannot run for every setting), ``--parameter-weight`` 0 (no heads)
or the default, and with ``--pathways off`` also ``--no-parameter-pathways`` (every head reads
the classifier's features, as before the pathways). Each model is scored by
``inference_hamnosys.py --data-dir ... --lexicon``:

- on A's test signers: gloss top-1/top-5 and each parameter's accuracy (unseen signers). The
  delivered model is the CLI's refit on training + validation recordings, so it has also seen
  signer 4's rendering of every sign; the validation top-1 of the run it was refitted from (signer
  4, unseen by that run, which early stopping read) is the figure of 1 or 3 recordings alone;
- on B's renderings (signs never trained on; every signer): by-notation top-1/top-5 among all
  |A ∪ B| entries of the lexicon, with chance (k / |A ∪ B|). Entries are distinct notations, and
  a gloss can have several (variants of one sign): a gloss is one class, rendered with its last
  notation, and B's entries whose gloss is also one of A's are not scored (12 of 250 at
  |A| = 1,000; none at 300).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_file import append_results  # bench/results_file.py

ROOT = Path(__file__).resolve().parents[1]
LEXICON = ROOT.parent / "shared" / "data" / "hamnosys2motion" / "data.json"
SIGNERS, VAL, TEST = 6, ["signer4"], ["signer5", "signer6"]
TRAIN = {1: ["signer1"], 3: ["signer1", "signer2", "signer3"]}
ENV = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")}
if not os.environ.get("PYTHONPATH"):
    ENV["PYTHONPATH"] = str(ROOT / "src")


def choose(a: int, b: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(A, B): disjoint (gloss, HamNoSys) entries of the shared lexicon whose notations parse, all notations distinct."""
    sys.path.insert(0, str(ROOT / "src"))
    from hamrec.hamnosys import HamNoSysError
    from hamrec.hamnosys.parameters import parameters

    entries, seen = [], set()
    for key, e in json.loads(LEXICON.read_text(encoding="utf-8")).items():
        text = e.get("hamnosys")
        if not text or text in seen:
            continue
        try:
            parameters(text)
        except HamNoSysError:
            continue
        seen.add(text)
        entries.append((e.get("type_name") or key, text))
    random.Random(0).shuffle(entries)
    return entries[:a], entries[a : a + b]


def render(entries: list[tuple[str, str]], out: Path) -> Path:
    """``hamrec data synth`` of ``entries`` for the six signers (made once)."""
    if not (out / "manifest.csv").is_file():
        subset = out.with_suffix(".json")
        subset.parent.mkdir(parents=True, exist_ok=True)
        subset.write_text(json.dumps({g: {"type_name": g, "hamnosys": h} for g, h in entries}, ensure_ascii=False), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "hamrec", "data", "synth", "--data-json", str(subset), "--out", str(out), "--signers", str(SIGNERS),
                        "--repetitions", "1", "--seed", "0"], check=True, env=ENV, stdout=subprocess.DEVNULL)  # fmt: skip
    return out


def manifest(rendered: Path) -> list[dict]:
    """The rows of ``rendered``'s manifest (path, label, gloss, hamnosys, signer)."""
    with open(rendered / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def subset(rendered: Path, signers: list[str], out: Path, leave_out: set[str] = frozenset()) -> Path:
    """A dataset folder whose manifest lists ``rendered``'s recordings of ``signers`` but not of the glosses ``leave_out`` (absolute paths, nothing copied)."""
    rows = [r for r in manifest(rendered) if r["signer"] in signers and r["gloss"] not in leave_out]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "path": str((rendered / r["path"]).resolve())} for r in rows)
    return out


def infer(model: Path, data: Path, lexicon: Path | None) -> dict:
    """``inference_hamnosys.py --data-dir`` (and ``--lexicon``, for a model with heads) as JSON."""
    cmd = [sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model), "--data-dir", str(data), "--json",
           "--output-dir", str(model.parent / f"eval-{data.name}")] + (["--lexicon", str(lexicon)] if lexicon else [])  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def trained_val_top1(model_dir: Path) -> float | None:
    """Validation top-1 (signer 4) of the run the delivered model was refitted from: the model trained on the
    training recordings alone (1 or 3 per sign), where the delivered one also learnt from signer 4's."""
    summary = json.loads((model_dir / "training_summary.json").read_text())
    refit = next((r for r in summary["training_runs"] if r.get("refit_of")), None)
    chosen = next((r for r in summary["training_runs"] if refit and r["run_id"] == refit["refit_of"]), None)
    return chosen and chosen.get("val_top1")


def run(work: Path, a_dir: Path, b_dir: Path, lexicon: Path, recordings: int, weight: float | None, seed: int, pathways: bool = True) -> dict:
    name = f"rec{recordings}-w{'default' if weight is None else weight}{'' if pathways else '-nopath'}-seed{seed}"
    data = subset(a_dir, TRAIN[recordings] + VAL + TEST, work / "data" / f"a-rec{recordings}")
    model_dir = work / "models" / name
    cmd = [sys.executable, str(ROOT / "automated_training.py"), "--include-datasets", str(data), "--model-dir", str(model_dir), "--log-file",
           str(model_dir.with_suffix(".log")), "--seed", str(seed), "--val-groups", *VAL, "--test-groups", *TEST, "--max-classes-per-batch", "0",
           "--no-run-inference"] + ([] if weight is None else ["--parameter-weight", str(weight)]) + ([] if pathways else ["--no-parameter-pathways"])  # fmt: skip
    start, seconds = time.perf_counter(), None  # the command's wall time, when it ran here and not in an earlier call
    if not (model_dir / "training_summary.json").is_file() or json.loads((model_dir / "training_summary.json").read_text())["status"] != "finished":
        subprocess.run(cmd, check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    model = model_dir / "best_model.keras"
    seen = infer(model, subset(a_dir, TEST, work / "data" / "a-test"), lexicon if weight != 0 else None)
    unseen = {}
    if weight != 0:  # a model without heads cannot rank by notation
        # B's entries differ from A's in notation; the few that share a gloss with one of A's (a variant of a trained sign) are left out
        b_new = subset(b_dir, [f"signer{i + 1}" for i in range(SIGNERS)], work / "data" / "b-new", leave_out={r["gloss"] for r in manifest(a_dir)})
        unseen = infer(model, b_new, lexicon)
    return {"setting": name, "train recordings per sign": recordings, "parameter weight": weight, "parameter pathways": pathways, "seed": seed, "seconds": seconds,
            "A val top-1 before the refit": trained_val_top1(model_dir), "A test top-1": seen["top1"], "A test top-5": seen["top5"], "A test recordings": seen["count"], "parameters": seen.get("parameters"),
            "A by notation": seen.get("lexicon"), "B by notation": unseen.get("lexicon"), "command": " ".join(cmd)}  # fmt: skip


def report(results: list[dict]) -> None:
    def med(rows, key, sub=None):
        vals = [(r[key] or {}).get(sub) if sub else r.get(key) for r in rows]
        vals = [v for v in vals if v is not None]
        return f"{100 * statistics.median(vals):5.1f}%" if vals else "   -  "

    weight = lambda r: "default" if r["parameter weight"] is None else str(r["parameter weight"])  # noqa: E731
    pathways = lambda r: "-" if r["parameter weight"] == 0 else "yes" if r.get("parameter pathways") else "no"  # noqa: E731  no heads: no pathways
    key = lambda r: (r["A"], r["B"], r["train recordings per sign"], weight(r), pathways(r))  # noqa: E731
    print("\n |A|   |B|  recordings/sign  weight  pathways  seeds  A val top-1 before refit  A top-1  A top-5  B by notation top-1 / top-5 (chance top-5)  parameters (median)")
    for size_a, size_b, rec, w, path in sorted({key(r) for r in results}):
        rows = [r for r in results if key(r) == (size_a, size_b, rec, w, path)]
        b = [r["B by notation"] for r in rows if r["B by notation"]]
        chance = f"{100 * b[0]['chance_top5']:.1f}%" if b else "-"
        params = rows[0]["parameters"] or {}
        shown = ", ".join(f"{p} {100 * statistics.median([(r['parameters'] or {}).get(p, 0) for r in rows]):.0f}%" for p in params)
        print(f"{size_a:5d} {size_b:5d}  {rec:15d}  {w:7s}  {path:8s}  {len(rows):5d}  {med(rows, 'A val top-1 before the refit'):>24s}  {med(rows, 'A test top-1')}   {med(rows, 'A test top-5')}   "
              f"{med(rows, 'B by notation', 'top1')} / {med(rows, 'B by notation', 'top5')} ({chance})   {shown}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", type=int, default=300, help="signs trained on")
    ap.add_argument("--b", type=int, default=100, help="signs never trained on, found by notation")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--train-recordings", nargs="+", type=int, default=[1, 3], choices=sorted(TRAIN))
    ap.add_argument("--weights", nargs="+", default=["0", "default"], help="--parameter-weight values; 'default': the CLI's")
    ap.add_argument("--pathways", nargs="+", default=["on"], choices=["on", "off"],
                    help="the heads' own pathways (the default) and/or --no-parameter-pathways")
    ap.add_argument("--work", default="/tmp/hamrec-phonology", help="renderings and models (kept: a finished run is not repeated)")
    ap.add_argument("--json", help="append the results to this file")
    ap.add_argument("--report", help="print the table of the results in this file and stop")
    args = ap.parse_args()
    if args.report:
        report(json.loads(Path(args.report).read_text()))
        return
    work = Path(args.work) / f"a{args.a}-b{args.b}"
    a, b = choose(args.a, args.b)
    lexicon = work / "lexicon.csv"
    lexicon.parent.mkdir(parents=True, exist_ok=True)
    with open(lexicon, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["gloss", "hamnosys"])
        w.writerows(a + b)
    a_dir, b_dir = render(a, work / "render-a"), render(b, work / "render-b")
    results = []
    for seed in args.seeds:
        for rec in args.train_recordings:
            for weight, pathways in ((w, p) for w in args.weights for p in (["on"] if w == "0" else args.pathways)):  # weight 0: no heads at all
                r = run(work, a_dir, b_dir, lexicon, rec, None if weight == "default" else float(weight), seed, pathways == "on")
                results.append({**r, "A": len(a), "B": len(b)})
                bn = r["B by notation"] or {}
                print(f"{r['setting']}: A top-1 {r['A test top-1']:.3f} top-5 {r['A test top-5']:.3f}"
                      + (f", B by notation top-1 {bn['top1']:.3f} top-5 {bn['top5']:.3f} of {bn['count']}" if bn.get("count") else "")
                      + (f", {r['seconds']:.0f} s" if r["seconds"] is not None else ", trained before"), flush=True)  # fmt: skip
                if args.json:
                    append_results(args.json, [results[-1]])
    report(results)


if __name__ == "__main__":
    main()
