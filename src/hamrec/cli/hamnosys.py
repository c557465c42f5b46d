"""``hamrec hamnosys``: show a HamNoSys string as names, structure and SiGML; validate a data.json lexicon."""

from __future__ import annotations

import argparse
import collections
import json
import sys
from dataclasses import asdict
from pathlib import Path


def show(text: str, gloss: str) -> int:
    from ..hamnosys import HamNoSysError, from_text, parse, to_names, to_sigml

    try:
        text = from_text(text)  # also accept "hamflathand,hamextfingeru,..."
        sign = parse(text)
    except HamNoSysError as e:
        print(f"hamrec hamnosys: error: {e}", file=sys.stderr)
        return 2
    print("names:    " + ", ".join(to_names(text)))
    print("structure:")
    print(json.dumps({k: v for k, v in asdict(sign).items() if k != "names" and v not in (None, [], "")}, indent=2, ensure_ascii=False))
    print("sigml:    " + to_sigml(text, gloss))
    return 0


def validate(path: Path, limit: int) -> int:
    """Parse every entry; list failures and entries whose names and characters disagree. Exit 1 if any failed."""
    from ..hamnosys import HamNoSysError, from_names, parse

    entries = json.loads(path.read_text(encoding="utf-8"))
    total = parsed = agree = with_names = missing_names = 0
    failures, disagreements = [], []
    for key, entry in entries.items():
        text = entry.get("hamnosys")
        if not text:
            continue
        total += 1
        try:
            parse(text)
            parsed += 1
        except HamNoSysError as e:
            failures.append((key, str(e)))
        names = entry.get("hamnosys_text")
        if not names or names in ("None", "null"):  # some entries store a missing name list as the string "None"
            missing_names += 1
        else:
            with_names += 1
            try:
                same = from_names(names) == text
            except HamNoSysError as e:
                same, names = False, f"{names} ({e})"
            agree += same
            if not same:
                disagreements.append((key, names))
    print(f"{path}: {total} entries with HamNoSys; parsed {parsed} ({parsed / max(1, total):.2%}); "
          f"names agree with characters in {agree} of {with_names}; {missing_names} entries have no names (null or \"None\")")  # fmt: skip
    reasons = collections.Counter(msg.split(" at position")[0] for _, msg in failures)
    for reason, n in reasons.most_common():
        print(f"  {n} x {reason}")
    for key, msg in failures[:limit]:
        print(f"  FAILED {key}: {msg}")
    for key, names in disagreements[:limit]:
        print(f"  NAMES DISAGREE {key}: {names}")
    if len(disagreements) > limit or len(failures) > limit:
        print(f"  (showing {limit} of each; --limit to see more)")
    return 1 if failures else 0


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    p = argparse.ArgumentParser(prog=prog, description="HamNoSys notation tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("show", help="a string (characters or comma-separated names) as names, structure and SiGML")
    s.add_argument("text")
    s.add_argument("--gloss", default="")
    v = sub.add_parser("validate", help="parse every entry of a data.json lexicon and report")
    v.add_argument("data_json", type=Path)
    v.add_argument("--limit", type=int, default=50, help="failures and disagreements listed at most")
    args = p.parse_args(argv)
    if args.cmd == "show":
        return show(args.text, args.gloss)
    if not args.data_json.is_file():
        print(f"hamrec hamnosys: error: {args.data_json} does not exist", file=sys.stderr)
        return 2
    return validate(args.data_json, args.limit)
