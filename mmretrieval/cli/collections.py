"""``mmretrieval collections``: list the collections of a store (model, points, size), or delete one."""

from __future__ import annotations

import json
import sys

from .store_args import add_store_arguments, open_store


def register(subparsers) -> None:
    parser = subparsers.add_parser("collections", help="list the store's collections (model, points, size) or delete one")
    parser.add_argument("--delete", default=None, metavar="NAME", help="delete this collection and all its points")
    parser.add_argument("--yes", action="store_true", help="with --delete: do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="print one JSON object per collection")
    add_store_arguments(parser, collection=False, model=False)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..store import summarize_collections

    if args.delete is not None:
        return _delete(args)
    summaries = summarize_collections(lambda name: open_store(args, collection=name, must_exist=True))
    if args.json:
        for summary in summaries:
            print(json.dumps(summary.to_dict()))
        return 0
    if not summaries:
        print("no collections; make one with `mmretrieval index PATH...`")
        return 0
    rows = [("collection", "model", "points", "size")] + [
        (s.name, s.model or "(not mmretrieval)", f"{s.points:,}", _size(s.bytes)) for s in summaries]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _delete(args) -> int:
    with open_store(args, collection=args.delete, must_exist=True) as store:
        if not store.exists():
            raise ValueError(f"no collection {args.delete!r} at {store.location}; "
                             "`mmretrieval collections` lists the ones there")
        info, count = store.info(), store.count()
        what = f"collection {args.delete!r} at {store.location} ({count:,} points, model {info.model if info else '?'})"
        if not args.yes:
            if not sys.stdin.isatty():
                raise ValueError(f"deleting {what} needs confirmation: add --yes")
            if input(f"delete {what}? [y/N] ").strip().lower() not in ("y", "yes"):
                print("kept")
                return 1
        store.drop()
    print(f"deleted {what}")
    return 0


def _size(nbytes) -> str:
    if nbytes is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
