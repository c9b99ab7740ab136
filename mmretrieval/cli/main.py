"""Entry point: ``mmretrieval <command> ...``; each command lives in its own module here."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings

from .. import __version__

# Each module defines ``register(subparsers)``, which adds its parser with ``func=run``.
COMMANDS = ("demo", "index", "search", "rag", "duplicates", "serve", "collections", "train", "convert", "eval", "bank",
            "push", "language_map", "ray_index")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmretrieval",
        description="Image-text retrieval on a frozen text embedding model: index photos and documents "
        "into Qdrant, search them by text or image, train adapters, evaluate, RAG and a web UI.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages (and model load bars)")
    parser.add_argument("-V", "--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--runtime", choices=("auto", "openvino", "torch"), default=None,
                        help="where the image trunk runs (default: $MMRETRIEVAL_RUNTIME, else auto: "
                        "OpenVINO on a CPU when installed, else torch); same vectors either way")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"mmretrieval.cli.{name}").register(subparsers)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    default_format, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        return args.func(args) or 0
    except (FileNotFoundError, ValueError, OSError) as err:
        print(f"mmretrieval {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = default_format


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings (an unknown filter field, a large embedded store) as one line for a terminal."""
    return f"mmretrieval: warning: {message}\n"


if __name__ == "__main__":
    sys.exit(main())
