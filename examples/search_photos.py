"""Index a folder of photos and search it by text, by image, and in several languages.

    python examples/search_photos.py [FOLDER]        # default: the sample photos in assets/

Uses a throwaway in-memory Qdrant collection; `mmretrieval index` / `search` keep one on disk.
"""

import sys
from pathlib import Path

from mmretrieval import load_model
from mmretrieval.indexing import Index

folder = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "assets")
with Index.open(path=":memory:", model=load_model()) as index:
    report = index.add_images([folder])
    print(f"indexed {report.added} images, skipped {len(report.skipped)}")

    queries = [
        "a cat lying on a couch",  # English
        "eine Rakete startet in den Himmel",  # German: a rocket launches into the sky
        "un homme avec un appareil photo",  # French: a man with a camera
    ]
    for query in queries:
        best = index.search(text=query, limit=1)[0]
        print(f"{query!r:45} -> {Path(best.path).name} ({best.score:.3f})")

    # coarse-to-fine: prefetch on the 64-d Matryoshka prefix, rerank on the full vector
    hits = index.search(text="a person in a space suit", limit=2, dim=64)
    print("coarse-to-fine:", [Path(h.path).name for h in hits])

    # image -> image: the photos most like the first hit
    similar = index.similar(hits[0].id, limit=2)
    print(f"similar to {Path(hits[0].path).name}:", [Path(h.path).name for h in similar])
