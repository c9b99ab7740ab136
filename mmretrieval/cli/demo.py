"""``mmretrieval demo``: match photos to captions with the default model (no index needed)."""

from __future__ import annotations

import sys

DEFAULT_CAPTIONS = (
    "a cat lying on a couch",
    "a cup of coffee on a saucer",
    "an astronaut in a flight suit",
    "a rocket launching into the sky",
    "a man with a camera on a tripod",
    "a dog running on the beach",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="print the best caption for each photo")
    parser.add_argument("images", nargs="*", default=["assets"],
                        help="image files, folders or glob patterns (default: assets)")
    parser.add_argument("--caption", action="append", dest="captions", help="a candidate caption (repeatable)")
    parser.add_argument("--model", default=None, help="model name or saved folder (default: the shipped default)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..indexing.files import walk
    from ..registry import load_model

    from ..images import ImageLoadError, load_image

    found = walk(args.images).images
    if not found:
        raise FileNotFoundError(f"no images found in {' '.join(args.images)}")
    paths, images = [], []
    for path in found:  # a bad file is skipped and named, as `index` does
        try:
            images.append(load_image(path))
            paths.append(path)
        except ImageLoadError as err:
            print(f"skipped {path}: {err.reason}", file=sys.stderr)
    if not images:
        raise ValueError(f"none of the {len(found)} files in {' '.join(args.images)} is a readable image")
    captions = args.captions or list(DEFAULT_CAPTIONS)
    model = load_model(args.model, runtime=getattr(args, "runtime", None))
    image_vectors = model.encode_image(images)
    text_vectors = model.encode_text(captions, task="retrieval.query")
    scores = image_vectors @ text_vectors.T
    for path, row in zip(paths, scores):
        best = int(row.argmax())
        print(f"{path}: {captions[best]!r} ({row[best]:.3f})")
    return 0

