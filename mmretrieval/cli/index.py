"""``mmretrieval index PATH...``: add new and changed images to the collection, drop deleted ones."""

from __future__ import annotations

import json
import os


from .store_args import add_store_arguments, open_index


def register(subparsers) -> None:
    parser = subparsers.add_parser("index", help="index images (folders, files, globs) into Qdrant, incrementally")
    parser.add_argument("paths", nargs="+", help="image files, folders (recursive) or quoted glob patterns")
    parser.add_argument("--captions", default=None, metavar="FILE.json",
                        help="a JSON object {image path: caption}; relative paths are read from the file's folder")
    parser.add_argument("--batch-size", type=int, default=32, help="images per encoder batch (default: 32)")
    parser.add_argument("--workers", type=int, default=2, help="threads that read and decode images (default: 2)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_store_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    captions = load_captions(args.captions) if args.captions else None
    with open_index(args) as index:
        report = index.add_images(args.paths, captions=captions, batch_size=args.batch_size,
                                  show_progress=not args.no_progress, num_workers=args.workers)
        print(report.summary())
        print(f"{index.count()} points in collection {index.store.collection!r} at {index.store.location}")
    return 1 if report.skipped and not (report.added or report.updated or report.unchanged) else 0


def load_captions(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); expected {{\"image path\": \"caption\", ...}}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path} must hold one JSON object mapping image paths to caption strings")
    folder = os.path.dirname(os.path.abspath(path))
    return {os.path.join(folder, os.path.expanduser(k)): v for k, v in data.items()}


