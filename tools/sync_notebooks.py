"""Regenerate the .ipynb twins of the MyST notebooks (see tools/notebooks.py)."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help=".md notebooks (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale twins")
    parser.add_argument("--no-execute", action="store_true", help="write twins without outputs")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.paths] or notebooks.sources()
    if args.check:
        problems = notebooks.stale_twins(paths)
        print("\n".join(problems) or "every twin is in sync")
        return 1 if problems else 0
    for md in paths:
        out = notebooks.sync(md, run=not args.no_execute)
        print(f"wrote {out.relative_to(notebooks.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
