"""``mmretrieval demo``: match photos to captions with the default model (no index needed)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_CAPTIONS = (
    "a cat lying on a couch",
    "a cup of coffee on a saucer",
    "an astronaut in a flight suit",
    "a rocket launching into the sky",
    "a man with a camera on a tripod",
    "a dog running on the beach",
)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="print the best caption for each photo")
    parser.add_argument("images", nargs="*", default=["assets"], help="image files or folders (default: assets)")
    parser.add_argument("--caption", action="append", dest="captions", help="a candidate caption (repeatable)")
    parser.add_argument("--model", default=None, help="model name or saved folder (default: the shipped default)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..registry import load_model

    paths = sorted(p for arg in args.images for p in _expand(Path(arg)))
    if not paths:
        raise FileNotFoundError(f"no images found in {' '.join(args.images)}")
    captions = args.captions or list(DEFAULT_CAPTIONS)
    model = load_model(args.model)
    image_vectors = model.encode_image([str(p) for p in paths])
    text_vectors = model.encode_text(captions, task="retrieval.query")
    scores = image_vectors @ text_vectors.T
    for path, row in zip(paths, scores):
        best = int(row.argmax())
        print(f"{path}: {captions[best]!r} ({row[best]:.3f})")
    return 0


def _expand(path: Path):
    if path.is_dir():
        return [p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    return [path]
