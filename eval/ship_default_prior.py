"""Write the concept prior that ships with the default model: ``mmretrieval/pretrained/concepts/<model>.safetensors``.

The prior is what ``mmretrieval train`` builds beside a model whose config has a ``concept_prior``
(``concept_prior.build_prior``: the trunk head's 1,000 ImageNet class names, each in the 7 ImageNet templates
CLIP's prompt engineering chose, embedded as queries by the model's text tower, averaged; float16). Its settings
(weight, top_k, weighting) live in the model config, picked on dev by ``eval/concept_prior.py``. Text embeddings
come from the feature cache.

    python eval/ship_default_prior.py [--model e5-small-lite0]
"""

from __future__ import annotations

import argparse

from mmretrieval import load_model
from mmretrieval.companions import packaged_path
from mmretrieval.concept_prior import PRIORS_FOLDER, build_prior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="e5-small-lite0")
    args = parser.parse_args()
    model = load_model(args.model, device="cpu")
    if model.trunk.classifier_head is None:
        raise SystemExit(f"{args.model}'s config has no concept_prior: add one (model_configs/{args.model}.json)")
    prior = build_prior(model)
    path = packaged_path(PRIORS_FOLDER, args.model)
    path.parent.mkdir(parents=True, exist_ok=True)
    prior.save(path)
    print(f"wrote {path}: {prior.source}, {prior.vectors.shape[1]}-d float16, prior {prior.id}, "
          f"{path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
