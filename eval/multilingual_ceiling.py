"""How much of English text->image recall can German/French/Czech queries keep with this text tower?

    python eval/multilingual_ceiling.py [MODEL] [--data ../shared/data/flickr8k]

An oracle that needs no image at all: each Multi30k dev image is represented by the centroid of
its Flickr8k English captions in MODEL's joint space (leaving out the caption the English
Multi30k query repeats), and each language's query retrieves among those centroids. A vision
adapter can at best land an image on such a centroid, and the language gap here comes from the
frozen text tower alone. Prints R@5 per language and its share of English R@5, in the full joint
space and at each Matryoshka prefix. Features come from the feature cache.
"""

from __future__ import annotations

from pathlib import Path

import torch

from mmretrieval import load_model
from mmretrieval.evaluation.datasets import multilingual_tsv
from mmretrieval.train.cache import text_embeddings
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import CAPTION_TASK
from mmretrieval.train.metrics import retrieval_recall
from script_args import model_parser

LANGS = ("en", "de", "fr", "cs")


def _same(caption: str) -> str:
    return caption.strip().lower().rstrip(" .")


def main() -> None:
    args = model_parser(__doc__).parse_args()
    model = load_model(args.model, device="cpu")
    dev = load_pairs(args.data, split="dev")
    multi = multilingual_tsv.load(args.data / "multilingual_dev.tsv", args.data / "images")
    multi_names = [Path(p).name for p in multi.images]
    query_image = [links[0] for links in multi.text_images]  # one image per caption
    english_query = {multi_names[image]: _same(text)
                     for text, image, lang in zip(multi.texts, query_image, multi.languages) if lang == "en"}
    names = [Path(p).name for p in dev.images]
    kept = [i for i, (caption, image) in enumerate(zip(dev.captions, dev.image_index))
            if english_query.get(names[image]) != _same(caption)]
    captions = model.text_to_joint(text_embeddings(model, [dev.captions[i] for i in kept], task=CAPTION_TASK))
    queries = model.text_to_joint(text_embeddings(model, multi.texts, task=CAPTION_TASK))
    owner = torch.tensor([dev.image_index[i] for i in kept])
    row_of = {name: i for i, name in enumerate(names)}
    dims = [*model.config.matryoshka_dims] or [model.embed_dim]
    print(f"{args.model}: caption-centroid oracle on {len(english_query)} Multi30k dev images, text->image R@5")
    print("dims  " + "  ".join(f"{lang:>5}" for lang in LANGS) + "  " + "  ".join(f"{lang}/en" for lang in LANGS[1:]))
    for dim in dims:
        centroids = torch.zeros(len(names), dim).index_add_(0, owner, model.matryoshka_prefix(captions, dim))
        recall = {}
        for lang in LANGS:
            picked = [i for i, code in enumerate(multi.languages) if code == lang]
            images = sorted({query_image[i] for i in picked})
            position = {image: k for k, image in enumerate(images)}
            gallery = centroids[[row_of[multi_names[image]] for image in images]]
            truth = torch.tensor([position[query_image[i]] for i in picked])
            recall[lang] = retrieval_recall(gallery, model.matryoshka_prefix(queries[picked], dim), truth)["t2i_R@5"]
        shares = "  ".join(f"{recall[lang] / recall['en']:5.0%}" for lang in LANGS[1:])
        print(f"{dim:<6}" + "  ".join(f"{recall[lang]:5.1f}" for lang in LANGS) + "  " + shares)


if __name__ == "__main__":
    main()
