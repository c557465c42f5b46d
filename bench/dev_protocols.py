"""Development protocols for choosing defaults: hamrec's command with and without a change, beside MiniRocket.

    python bench/dev_protocols.py --variant default= --variant no-refit=--no-refit --seeds 0 1
    python bench/dev_protocols.py --only dgs11-dev --variant default= --variant without-bodyless=@without_bodyless

A variant's flags may start with ``@NAME``: that variant runs ``bench/NAME.py`` (an ablation's
wrapper of ``automated_training.py`` that takes one part of the product out) with the rest.

Settings are chosen here, never on ``bench/vs_minirocket.py``'s folds:
- auslan-A: only sessions tctodd4-6 are given; test tctodd6. hamrec trains on one of the other two
  and validates on the other (its default rule); MiniRocket trains on both.
- auslan-B: sessions tctodd7-9, test tctodd8.
- dgs11-dev: one 80/20 stratified split with fold seed 1 (the benchmark's folds use fold seed 0).
- dgs11-arrays (only with ``--only dgs11-arrays``): the same split, each recording's hands
  relative to the nose saved as a NumPy array of points (:func:`keypoint_arrays`), as a user who
  extracted keypoints themselves would bring them; MiniRocket sees the same values as on dgs11-dev.
One training session makes the shift between days as hard as it gets on Auslan.

``--drift K ...`` also scores every model of an Auslan protocol, hamrec's and MiniRocket's, on its
test session under a simulated calibration drift: one offset per channel for the whole session,
K x the channel's spread over the training sessions x a standard normal draw (8 draws per K; the
finger-bend channels clipped to [0, 1] as the glove reports them). Between the real sessions a
channel's mean moves by up to 1.7 spreads; other days may move further. ``--gain-drift S ...`` does
the same with a gain per channel about its training mean, a log-normal factor of sigma S (between
the real sessions a channel's spread changes by a log-ratio of up to 0.44). hamrec's models are
scored through :class:`hamrec.inference.predict.Recognizer`, the API ``inference_hamnosys.py`` uses.

``--camera-drift`` does the like for keypoint protocols: every model is also scored on its test
recordings as other webcams would see them (:func:`camera_drifted`: the signer nearer or farther
and elsewhere in the frame, a camera of the other aspect ratio, a camera turned), one draw per
recording, 8 draws.

``--mirrored-test`` also scores every hamrec model of a keypoint protocol on mirror images of its
test recordings (x reflected in the image, left and right points swapped: the same signs by a
signer of the other handedness), written as ``.pose`` files and evaluated by
``inference_hamnosys.py --data-dir``.

hamrec is trained only by ``automated_training.py`` in a subprocess (the variant's flags, plus the
data, ``--test-groups``, ``--model-dir`` and ``--seed``); its figure is the held-out test top-1 the
command itself reports in ``training_summary.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from vs_minirocket import ROOT, fit_minirocket, glove_channels, hands_from_face, hands_minus_nose, link_tree, load, point_channels, run_minirocket  # bench/vs_minirocket.py

import numpy as np  # noqa: E402


def protocols(auslan: str, dgs: str, only=None):
    """(name, data root, files given, test groups, to-array) per protocol; dgs11-arrays only when asked for by ``only``."""
    if auslan:
        idx = load(auslan)
        for name, sessions, test in (("auslan-A", ("tctodd4", "tctodd5", "tctodd6"), "tctodd6"), ("auslan-B", ("tctodd7", "tctodd8", "tctodd9"), "tctodd8")):
            given = [s for s in idx.samples if s.group in sessions]
            yield name, Path(auslan), idx, given, [test], glove_channels
    if dgs:
        from sklearn.model_selection import StratifiedKFold

        idx = load(dgs)
        _, te = next(StratifiedKFold(5, shuffle=True, random_state=1).split(np.zeros(len(idx.samples)), [s.label for s in idx.samples]))
        yield "dgs11-dev", Path(dgs), idx, idx.samples, sorted({idx.samples[i].group for i in te}), hands_from_face
        if only and "dgs11-arrays" in only:
            root = keypoint_arrays(idx, Path(tempfile.mkdtemp(prefix="hamrec-dgs-arrays-")))
            arr = load(str(root))
            stems = {Path(idx.samples[i].path).stem for i in te}
            yield "dgs11-arrays", root, arr, arr.samples, sorted({s.group for s in arr.samples if Path(s.path).stem in stems}), array_channels


def keypoint_arrays(idx, out: Path) -> Path:
    """dgs11 as a user's own NumPy arrays: each recording's two hands (42 points x 3) minus the nose,
    NaN where unseen, written as ``out/<label>/<name>.npy`` — what MiniRocket sees on dgs11-dev
    (:func:`hands_from_face`), and what hamrec reads as an array of points of unknown meaning."""
    for s in idx.samples:
        (out / s.label).mkdir(parents=True, exist_ok=True)
        np.save(out / s.label / (Path(s.path).stem + ".npy"), hands_minus_nose(idx.sequences[s.path]).astype(np.float32))
    return out


def array_channels(seq, length: int) -> np.ndarray:
    """An array of points, as MiniRocket reads it: (points x dims channels, length), missing as 0 (as :func:`hands_from_face`)."""
    return point_channels(seq.data, length)


def mirror_pose_file(src: Path, dst: Path) -> None:
    """Write the mirror image of a .pose file: x -> width - x, LEFT_/RIGHT_ hand components and body points swapped."""
    from pose_format import Pose

    pose = Pose.read(src.read_bytes())
    start, names = {}, {}
    i = 0
    for c in pose.header.components:
        start[c.name] = i
        names.update({(c.name, p): i + k for k, p in enumerate(c.points)})
        i += len(c.points)
    perm = list(range(i))
    for (comp, point), k in names.items():
        if comp in ("LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS"):
            other = ("RIGHT" if comp.startswith("LEFT") else "LEFT") + comp[comp.index("_") :]
            perm[k] = names.get((other, point), k)
        elif "LEFT" in point or "RIGHT" in point:
            perm[k] = names.get((comp, point.replace("LEFT", "#").replace("RIGHT", "LEFT").replace("#", "RIGHT")), k)
    data = pose.body.data[:, :, perm].copy()
    data[..., 0] = pose.header.dimensions.width - data[..., 0]
    pose.body.data, pose.body.confidence = data, pose.body.confidence[:, :, perm]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "wb") as f:
        pose.write(f)


def mirrored_top1(model: Path, mirrored_dir: Path) -> float:
    out = subprocess.run([sys.executable, str(ROOT / "inference_hamnosys.py"), "--model-path", str(model), "--data-dir", str(mirrored_dir), "--json",
                          "--output-dir", str(model.parent / "mirrored-eval")], capture_output=True, text=True)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"inference_hamnosys.py failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)["top1"]


DRIFT_DRAWS = 8


def drifted(test: list, train: list, offsets: list[float], gains: list[float] = ()) -> dict[str, list[list]]:
    """Auslan test recordings under simulated calibration drifts, one list of recordings per draw:
    "0" as recorded, "K" with offsets of K spreads, "gain S" with gains of log-sigma S."""
    from hamrec.data.formats.auslan import CHANNELS

    values = np.concatenate([s.data[:, :, 0] for s in train])
    mean, spread = values.mean(axis=0), values.std(axis=0)  # (22,) each
    bends = [i for i, c in enumerate(CHANNELS) if c.split("_")[1] in ("thumb", "fore", "middle", "ring", "little")]
    changes = {"0": [lambda x: x]}
    for k in offsets:
        changes[f"{k:g}"] = [lambda x, d=np.random.default_rng(draw).standard_normal(len(spread)) * spread * k: x + d for draw in range(DRIFT_DRAWS)]
    for sigma in gains:
        changes[f"gain {sigma:g}"] = [lambda x, g=np.exp(np.random.default_rng(100 + draw).standard_normal(len(spread)) * sigma): mean + (x - mean) * g
                                      for draw in range(DRIFT_DRAWS)]  # fmt: skip
    out = {}
    for level, draws in changes.items():
        out[level] = []
        for change in draws:
            seqs = []
            for s in test:
                x = change(s.data[:, :, 0])
                x[:, bends] = np.clip(x[:, bends], 0, 1)
                seqs.append(replace(s, data=x[:, :, None].astype(np.float32)))
            out[level].append(seqs)
    return out


#: keypoint protocols' camera changes, one draw per test recording (a webcam of its own): how far each goes
CAMERA_CHANGES = ("size", "aspect", "roll", "all")


def camera_drifted(test: list) -> dict[str, list[list]]:
    """Keypoint test recordings as other webcams would see them, one list of recordings per draw:
    "0" as recorded; "size": the signer nearer or farther (a scale about the recording's centre by a
    log-normal factor of sigma 0.3) and elsewhere in the frame (a shift of up to 15 % of the frame);
    "aspect": a camera of the other aspect ratio (x scaled by 4/3 or 3/4 about the centre: MediaPipe
    divides x by the frame's width and y by its height); "roll": the camera turned by 10-20 degrees
    either way; "all": the three together."""
    out = {"0": [test]}
    for level in CAMERA_CHANGES:
        out[level] = []
        for draw in range(DRIFT_DRAWS):
            rng = np.random.default_rng(200 + draw)
            seqs = []
            for s in test:
                xy = s.data[..., :2].astype(np.float64)  # (T, P, 2), meaningful where s.mask
                c = xy[s.mask].mean(axis=0)  # (2,)
                m, shift = np.eye(2), np.zeros(2)
                if level in ("size", "all"):
                    m, shift = m * np.exp(rng.normal(0, 0.3)), rng.uniform(-0.15, 0.15, 2)
                if level in ("aspect", "all"):
                    m = np.diag([rng.choice([4 / 3, 3 / 4]), 1.0]) @ m
                if level in ("roll", "all"):
                    a = np.deg2rad(rng.uniform(10, 20) * rng.choice([-1, 1]))
                    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ m
                data = s.data.copy()
                data[..., :2] = ((xy - c) @ m.T + c + shift).astype(np.float32)
                seqs.append(replace(s, data=data))
            out[level].append(seqs)
    return out


def drift_top1(predict, drift: dict[str, list[list]], labels: list[str]) -> dict[str, float]:
    """level -> mean top-1 over the draws; ``predict`` maps recordings to predicted labels."""
    return {level: float(np.mean([np.mean(np.asarray(predict(seqs)) == np.asarray(labels)) for seqs in draws])) for level, draws in drift.items()}


def hamrec_predict(model: Path):
    from hamrec.inference.predict import Recognizer

    rec = Recognizer.load(model)
    return lambda seqs: [rec.classes[i] for i in rec.probabilities(seqs).argmax(axis=1)]


def minirocket_predict(train: tuple[np.ndarray, np.ndarray], seed: int, to_array, classes: list[str]):
    """MiniRocket fitted as the protocol's own MiniRocket run is (``train``: its arrays and class ids), predicting class names."""
    clf = fit_minirocket(train, seed)
    return lambda seqs: [classes[i] for i in clf.predict(np.stack([to_array(s, 64) for s in seqs]))]


def run_hamrec(root: Path, given, n_all: int, test_groups, seed: int, flags: list[str], work: Path, mirrored_dir: Path | None = None) -> dict:
    # a subset is given as a folder of links; the whole dataset as itself (dgs11's groups are the files' own paths)
    data = root if len(given) == n_all else link_tree([Path(s.path) for s in given], root, work / "data" / root.name)
    model_dir = work / "model"
    script = ROOT / "automated_training.py"
    if flags and flags[0].startswith("@"):  # an ablation's wrapper of the CLI in bench/ (e.g. @without_bodyless)
        script, flags = ROOT / "bench" / f"{flags[0][1:]}.py", flags[1:]
    cmd = [sys.executable, str(script), "--include-datasets", str(data), "--model-dir", str(model_dir),
           "--log-file", str(work / "log.txt"), "--seed", str(seed), "--no-run-inference", "--test-groups", *test_groups, *flags]  # fmt: skip
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"automated_training.py failed ({out.returncode}): {out.stdout[-2000:]}{out.stderr[-2000:]}")
    wall = time.perf_counter() - t0
    final = json.loads((model_dir / "training_summary.json").read_text())["final"]
    mirrored = {"mirrored_top1": mirrored_top1(model_dir / "best_model.keras", mirrored_dir)} if mirrored_dir else {}
    return {"top1": final["top1"], "count": final["count"], "wall_s": wall, "model": model_dir / "best_model.keras", **mirrored}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--auslan", default="../shared/data/auslan", help="UCI Auslan sessions (empty string: skip)")
    ap.add_argument("--dgs", default="../shared/data/dgs11", help="dgs11 keypoints (empty string: skip)")
    ap.add_argument("--variant", action="append", default=None, metavar="NAME=FLAGS",
                    help="a hamrec setting to compare: NAME=flags for automated_training.py (repeatable; default: default=)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--only", nargs="*", default=None, help="run only these protocols")
    ap.add_argument("--json", default=None, help="also write every result here")
    ap.add_argument("--drift", type=float, nargs="*", default=[], metavar="K",
                    help="Auslan protocols: also score every model under simulated calibration drifts of K channel spreads (e.g. 1 1.5 2)")
    ap.add_argument("--gain-drift", type=float, nargs="*", default=[], metavar="S",
                    help="Auslan protocols: also score every model under simulated gain drifts, a log-normal factor of sigma S per channel (e.g. 0.2 0.4)")
    ap.add_argument("--camera-drift", action="store_true",
                    help="keypoint protocols: also score every model on its test recordings as other webcams would see them (size, aspect, roll)")
    ap.add_argument("--mirrored-test", action="store_true", help="also score hamrec on mirror images of the test recordings (keypoint protocols)")
    args = ap.parse_args()
    variants = dict(v.split("=", 1) for v in (args.variant or ["default="]))
    results = []
    for name, root, idx, given, test_groups, to_array in protocols(args.auslan, args.dgs, args.only):
        if args.only and name not in args.only:
            continue
        ids = {c: i for i, c in enumerate(idx.classes)}
        train = [s for s in given if s.group not in test_groups]
        test = [s for s in given if s.group in test_groups]

        def arrays(samples, to_array=to_array, idx=idx, ids=ids):
            return np.stack([to_array(idx.sequences[s.path], 64) for s in samples]), np.array([ids[s.label] for s in samples])

        mirrored = None
        if args.mirrored_test and all(s.path.endswith(".pose") for s in test):
            mirrored = Path(tempfile.mkdtemp(prefix="hamrec-mirrored-"))
            for s in test:
                mirror_pose_file(Path(s.path), mirrored / s.label / Path(s.path).name)
        drift = drifted([idx.sequences[s.path] for s in test], [idx.sequences[s.path] for s in train], args.drift, args.gain_drift) if (args.drift or args.gain_drift) and to_array is glove_channels else None
        if args.camera_drift and to_array is hands_from_face:
            drift = camera_drifted([idx.sequences[s.path] for s in test])
        labels = [s.label for s in test]
        for seed in args.seeds:
            runs = {"MiniRocket": lambda: run_minirocket(arrays(train), arrays(test), len(ids), seed)}
            for v, flags in variants.items():
                runs[v] = lambda flags=flags: run_hamrec(root, given, len(idx.samples), test_groups, seed, flags.split(),
                                                         Path(tempfile.mkdtemp(prefix="hamrec-dev-")), mirrored)  # fmt: skip
            for system, fn in runs.items():
                got = fn()
                r = {"protocol": name, "system": system, "seed": seed, **{k: v for k, v in got.items() if k in ("top1", "count", "wall_s", "mirrored_top1")}}
                if drift:
                    predict = hamrec_predict(got["model"]) if "model" in got else minirocket_predict(arrays(train), seed, to_array, idx.classes)
                    r["drift_top1"] = drift_top1(predict, drift, labels)
                results.append(r)
                m = f"  mirrored top-1 {r['mirrored_top1']:.3f}" if "mirrored_top1" in r else ""
                m += "  drifted: " + ", ".join(f"{k if not k[0].isdigit() else k + ' spreads'} {v:.3f}" for k, v in r["drift_top1"].items() if k != "0") if "drift_top1" in r else ""
                print(f"{name:<10} {system:<14} seed {seed}  test {r['count']:4d}  top-1 {r['top1']:.3f}{m}  {r['wall_s']:6.1f} s", flush=True)
                if args.json:
                    Path(args.json).write_text(json.dumps(results, indent=1))
    systems = list(dict.fromkeys(r["system"] for r in results))
    protos = list(dict.fromkeys(r["protocol"] for r in results))
    print("\n| system | " + " | ".join(protos) + " | mean |")
    print("| --- |" + " --- |" * (len(protos) + 1))
    for system in systems:
        cells = [[r["top1"] for r in results if r["system"] == system and r["protocol"] == p] for p in protos]
        each = " | ".join(f"{statistics.mean(c):.1%} ({', '.join(f'{x:.1%}' for x in c)})" for c in cells)
        print(f"| {system} | {each} | {statistics.mean(x for c in cells for x in c):.1%} |")
    levels = list(dict.fromkeys(k for r in results for k in r.get("drift_top1", {})))
    if levels:
        print("\nMean top-1 under simulated drift (Auslan: offsets in channel spreads, gains as log-sigma; keypoints: other webcams):\n")
        print("| protocol | system | " + " | ".join(levels) + " |")
        print("| --- | --- |" + " --- |" * len(levels))
        for p in protos:
            for system in systems:
                runs = [r["drift_top1"] for r in results if r["protocol"] == p and r["system"] == system and "drift_top1" in r]
                if runs:
                    print(f"| {p} | {system} | " + " | ".join(f"{statistics.mean(d[k] for d in runs):.1%}" for k in levels) + " |")


if __name__ == "__main__":
    main()
