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
    parser.add_argument("--force", action="store_true",
                        help="overwrite twins even where the .ipynb was edited after its .md")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.paths] or notebooks.sources()
    if args.check:
        problems = notebooks.stale_twins(paths)
        print("\n".join(problems) or "every twin is in sync")
        return 1 if problems else 0
    refused = 0
    for md in paths:
        try:
            out = notebooks.sync(md, run=not args.no_execute, force=args.force)
        except notebooks.TwinEdited as e:
            print(f"skipped: {e}", file=sys.stderr)
            refused += 1
            continue
        print(f"wrote {out.relative_to(notebooks.ROOT)}")
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
