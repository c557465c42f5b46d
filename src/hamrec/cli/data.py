"""``hamrec data inspect PATH|NAME``: check a dataset before a long run; ``hamrec data synth``: synthesise signs from HamNoSys."""

from __future__ import annotations

import argparse
import collections
import sys

import numpy as np


def inspect(entry: str, data_root: str, cache_dir: str | None) -> int:
    from ..data.cache import RecordingCache
    from ..data.datasets import DatasetError, resolve, scan, skipped_line
    from ..data.index import one_layout
    from ..data.sequence import RecordingError
    from ..features import has_face
    from ..training.loop import LoopConfig

    try:
        name, folder = resolve(entry, data_root)
        samples, skipped = scan(name, folder)
    except DatasetError as e:
        print(f"hamrec data: error: {e}", file=sys.stderr)
        return 2
    cache = RecordingCache(cache_dir)
    frames, layouts, fps = [], collections.Counter(), collections.Counter()
    ok, with_face, layout_of = [], 0, {}
    for s in samples:
        try:
            seq = cache.load(s.path)
        except RecordingError as e:
            skipped.append({"file": s.path, "reason": str(e)})
            continue
        ok.append(s)
        frames.append(seq.num_frames)
        layout_of[s.path] = seq.layout_key
        layouts[layout_of[s.path]] += 1
        fps[seq.fps] += 1
        with_face += has_face(seq)
    layout_problem = ""
    if len(layouts) > 1:  # what training will do about it: skip the odd ones out (listed below as problems), or refuse the dataset
        try:
            kept, _ = one_layout(ok, layout_of, skipped)
            layout_problem = f"{len(ok) - len(kept)} recordings have another layout than the other {len(kept)}; training skips them"
        except DatasetError as e:
            layout_problem = str(e)
    counts = collections.Counter(s.label for s in ok)
    groups = collections.Counter(s.group for s in ok)
    print(f"dataset {name} at {folder}")
    print(f"  recordings: {len(ok)} readable, {len(skipped)} problems")
    print(f"  classes: {len(counts)}; recordings per class min {min(counts.values(), default=0)} / median {int(np.median(list(counts.values()) or [0]))} / max {max(counts.values(), default=0)}")
    print(f"  groups (signer/session/recording): {len(groups)}" + (f" — {', '.join(sorted(groups)[:8])}" if len(groups) <= 20 else ""))
    if frames:
        print(f"  frames: min {min(frames)} / median {int(np.median(frames))} / max {max(frames)}; fps {dict(fps)}")
    for (layout, p, d), n in layouts.items():
        print(f"  layout: {layout}, {p} points x {d} dims ({n} recordings)")
        if layout == "keypoints":
            print(f"  face landmarks: {with_face} of {n} recordings" + (" (training reads the face: --face-features)" if with_face else ""))
    for rule, n in collections.Counter(s.label_from for s in ok).items():
        print(f"  labels from {rule or 'the dataset'}: {n} recordings")
    if layout_problem:
        print(f"  PROBLEM: {layout_problem}")
    min_samples = LoopConfig.min_samples  # training's default: smaller classes are left out
    for label, n in sorted(counts.items()):
        if n < min_samples:
            files = [s.path for s in ok if s.label == label]
            print(f"  PROBLEM class {label!r} has {n} recording ({', '.join(files)}); training leaves out classes below --min-samples {min_samples}")
    for s in skipped:
        print(f"  PROBLEM {skipped_line(s)}")
    return 0 if ok and len(layouts) == 1 and min(counts.values()) >= min_samples else 1


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    p = argparse.ArgumentParser(prog=prog, description="Inspect, synthesise and convert datasets")
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("inspect", help="format, recordings, classes, frames, layout and every problem found")
    i.add_argument("dataset", help="a dataset name under --data-root, or a path")
    i.add_argument("--data-root", default="datasets")
    i.add_argument("--cache-dir", default=None)
    syn = sub.add_parser("synth", help="synthesise .pose recordings (+ manifest.csv) from HamNoSys")
    syn.add_argument("--out", required=True, help="output folder")
    src = syn.add_mutually_exclusive_group()
    src.add_argument("--sign", nargs="+", metavar="GLOSS=HAMNOSYS", help="signs to synthesise: notation as characters or comma-separated names")
    src.add_argument("--data-json", help="a lexicon like hamnosys2motion/data.json (type_name, hamnosys)")
    syn.add_argument("--limit", type=int, default=None, help="at most this many signs from --data-json")
    syn.add_argument("--signers", type=int, default=6)
    syn.add_argument("--repetitions", type=int, default=3)
    syn.add_argument("--seed", type=int, default=0)
    vid = sub.add_parser("from-video", help="videos -> .pose keypoint files with MediaPipe Holistic (needs the video extra)")
    vid.add_argument("videos", nargs="+", metavar="VIDEO_OR_FOLDER", help="video files, or folders searched for videos (sub-folders kept)")
    vid.add_argument("--out", required=True, help="output folder; a .pose file already there is not recomputed")
    vid.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True, help="progress bars per video and overall")
    args = p.parse_args(argv)
    if args.cmd == "inspect":
        return inspect(args.dataset, args.data_root, args.cache_dir)
    if args.cmd == "from-video":
        return from_video(args)
    return synth(args)


def from_video(args) -> int:
    """0 when every video was converted (or already was), 1 when some were skipped, 2 when none could be."""
    from ..data.datasets import skipped_line
    from ..data.formats.video import VideoSupportMissing, convert

    try:
        report = convert(args.videos, args.out, progress=args.progress)
    except VideoSupportMissing as e:
        print(f"hamrec data from-video: error: {e}", file=sys.stderr)
        return 2
    print(f"{len(report['written'])} written, {len(report['existing'])} already there, {len(report['skipped'])} skipped -> {args.out}")
    for s in report["skipped"]:
        print(f"  skipped {skipped_line(s)}")
    if not report["written"] and not report["existing"]:
        return 2
    return 1 if report["skipped"] else 0


def synth(args) -> int:
    """Without --sign/--data-json: the built-in lexicon (the default training data)."""
    import json
    from pathlib import Path

    from ..hamnosys import HamNoSysError, from_text, parse
    from ..synth import write_dataset
    from ..synth.lexicon import builtin_lexicon

    lexicon: list[tuple[str, str]] = []
    problems: list[str] = []
    if args.sign:
        for item in args.sign:
            gloss, sep, text = item.partition("=")
            if not sep or not gloss:
                print(f"hamrec data synth: error: --sign {item!r}; expected GLOSS=HAMNOSYS", file=sys.stderr)
                return 2
            lexicon.append((gloss, text))
    elif args.data_json:
        entries = json.loads(Path(args.data_json).read_text(encoding="utf-8"))
        lexicon = [(e.get("type_name") or k, e["hamnosys"]) for k, e in entries.items() if e.get("hamnosys")][: args.limit]
    else:
        lexicon = builtin_lexicon()
    usable = []
    for gloss, text in lexicon:
        try:
            text = from_text(text)
            parse(text)
            usable.append((gloss.replace("/", "_"), text))
        except HamNoSysError as e:
            problems.append(f"{gloss}: {e}")
    for line in problems:
        print(f"skipped {line}", file=sys.stderr)
    if not usable:
        print("hamrec data synth: error: no sign with valid HamNoSys to synthesise", file=sys.stderr)
        return 2
    folder = write_dataset(args.out, usable, args.signers, args.repetitions, args.seed)
    print(f"{len(usable)} signs x {args.signers} signers x {args.repetitions} repetitions -> {folder} (manifest.csv)")
    return 0 if not problems else 1
