"""Image-vs-text cosine scales in one mixed ranking: the photos in assets/ next to a few Markdown passages.

    python eval/cosine_scales.py [MODEL ...]     # default: e5-small-lite0 (raw space) minilm-l6-lite0 (centred)

For each model and each query (task retrieval.query) this prints the cosine to the right photo, to the
best other photo and to the best passage (task retrieval.passage), and counts the queries whose right
photo ranks first in one ranking over photos and passages together (what a search over both vectors
without fusion would return). A centred model puts text->image cosines far below text->text ones; a
raw-space model puts them on one scale.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mmretrieval import load_model

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PHOTOS = ("astronaut", "camera", "cat", "coffee", "rocket")
QUERIES = {  # query -> the photo it describes
    "a cat lying on a couch": "cat",
    "a cup of coffee on a table": "coffee",
    "a rocket launching into the sky": "rocket",
    "a man taking a photo with a camera": "camera",
    "a woman in a uniform": "astronaut",
}
PASSAGES = [  # Markdown passages on nearby topics, none of them a caption of a photo
    "# Launch log\nThe Falcon 9 lifted off at dawn carrying the DSCOVR satellite; the exhaust plume lit the clouds orange.",
    "# Office notes\nThe espresso machine on the second floor makes the best coffee. Order beans on Fridays.",
    "## Pets\nChelsea the cat sleeps on the sofa most afternoons and wakes up for dinner.",
    "## Photography club\nBring a tripod and a spare battery to Saturday's session in the park.",
    "## Training\nCrew members practise emergency procedures in the simulator twice a month.",
    "# Release notes\nVersion 2.3 fixes the login bug and speeds up the export of reports.",
]


def report(name: str) -> None:
    model = load_model(name, device="cpu")
    photos = model.encode_image([str(ASSETS / f"{p}.jpg") for p in PHOTOS])
    passages = model.encode_text(PASSAGES, task="retrieval.passage")
    queries = model.encode_text(list(QUERIES), task="retrieval.query")
    to_photo, to_passage = queries @ photos.T, queries @ passages.T
    print(f"\n{name} (space={model.config.space})")
    print(f"{'query':<36} {'right photo':>11} {'best other':>10} {'best passage':>12}  first in mixed ranking")
    firsts = 0
    for row, (query, photo) in enumerate(QUERIES.items()):
        right = PHOTOS.index(photo)
        other = np.delete(to_photo[row], right).max()
        best_passage = to_passage[row].max()
        first = to_photo[row, right] > max(other, best_passage)
        firsts += first
        print(f"{query:<36} {to_photo[row, right]:11.3f} {other:10.3f} {best_passage:12.3f}  {'photo' if first else 'no'}")
    print(f"query->photo cosines {to_photo.min():.3f}..{to_photo.max():.3f} (mean {to_photo.mean():.3f}); "
          f"query->passage {to_passage.min():.3f}..{to_passage.max():.3f} (mean {to_passage.mean():.3f}); "
          f"right photo first over photos+passages: {firsts}/{len(QUERIES)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=["e5-small-lite0", "minilm-l6-lite0"])
    for name in parser.parse_args().models:
        report(name)


if __name__ == "__main__":
    main()
