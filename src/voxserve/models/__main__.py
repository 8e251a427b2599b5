"""``python -m voxserve.models build|verify|list [NAME] [--force]``: the store without the CLI.

Setup scripts can build models before ``voxserve`` itself is wired up; ``voxserve models`` is the
user-facing command.
"""

from __future__ import annotations

import argparse
import sys
import time

from voxserve.errors import VoxError
from voxserve.models.store import ModelStore
from voxserve.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Run one store command; return the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m voxserve.models")
    parser.add_argument("command", choices=["build", "verify", "list"])
    parser.add_argument("name", nargs="?", default="baker-zh")
    parser.add_argument("--force", action="store_true", help="rebuild even if installed")
    args = parser.parse_args(argv)
    store = ModelStore(Settings())
    started = time.monotonic()
    try:
        if args.command == "build":
            store.build(args.name, force=args.force, progress=print)
            print(f"done in {time.monotonic() - started:.1f} s")
        elif args.command == "verify":
            store.verify(args.name)
            print(f"{args.name}: ok")
        else:
            for name in sorted(set(store.known()) | set(store.installed())):
                info = store.describe(name)
                state = f"installed {info.built_at}" if info.installed else "not installed"
                print(f"{name}\t{state}\t{info.source}\t{info.path}")
    except VoxError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
