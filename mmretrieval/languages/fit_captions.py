"""Query maps from a caption table (``mmretrieval language-map``): any language with captions of photos.

Rows are ``image``, ``lang``, ``caption`` (a TSV, e.g. Multi30k's translations or Flickr8k-CN's Chinese
captions). A map is fitted per language other than the reference, toward one of two targets:

- ``english``: the mean of the same image's reference-language captions (parallel or comparable text;
  no photos needed);
- ``images``: the image's own vector from the model (comparable captions of your photos; no English
  needed): the map learns to find the photo itself.

Rows of ``dev`` images are held out of the fit; with photos, the dev images are then ranked by each
language's dev captions with and without the map (text→image R@5), beside English's on the same images
where the table has English rows: the numbers the command prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Optional, Sequence

import torch

from .maps import REFERENCE, fit_query_maps
from ..train.cache import image_features, text_embeddings
from ..train.features import CAPTION_TASK
from ..train.metrics import retrieval_recall

TARGETS = ("english", "images")
MAPPED = "; queries in "  # how a model's description names its mapped languages


@dataclass
class CaptionFit:
    """The maps fitted on the non-dev rows and, per language, dev t2i R@5 ``{"plain", "mapped"}``."""

    maps: dict[str, torch.Tensor]
    fitted_on: int  # captions the maps were fitted on (all languages, targets included)
    dev: dict[str, dict[str, float]] = field(default_factory=dict)
    dev_images: int = 0


def image_vectors(model, names: Sequence[str], folder, show_progress_bar: Optional[bool] = None,
                  cache_root=None) -> dict[str, torch.Tensor]:
    """The model's vector for each image file name in ``folder`` (features from the cache); names whose file is
    missing or unreadable are left out."""
    folder = Path(folder)
    names = sorted(set(names))
    found = [n for n in names if (folder / n).is_file()]
    if not found:
        raise FileNotFoundError(f"none of the {len(names)} images named in the captions is in {folder} "
                                f"(e.g. {folder / names[0]}); give the photos' folder with --images")
    features = image_features(model, [folder / n for n in found], show_progress_bar=show_progress_bar,
                              root=cache_root)
    kept = features.kept
    with torch.no_grad():
        vectors = model.adapter_forward(features.pooled[kept].to(model.device)).cpu()
    return {found[i]: vectors[row] for row, i in enumerate(kept)}


def fit_from_captions(model, rows: Sequence[dict], target: str = "english", images: Optional[dict] = None,
                      dev: Collection[str] = (), reference: str = REFERENCE, show_progress_bar: Optional[bool] = None,
                      cache_root=None, **options) -> CaptionFit:
    """Fit maps on the rows whose image is not in ``dev`` and, given ``images`` (name -> vector, see
    :func:`image_vectors`), measure them on the dev rows. ``options``: ``fit_query_map``'s."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    if target == "images" and not images:
        raise ValueError("target 'images' needs the photos: give the folder the captions' image names are in")
    captions = [r["caption"].strip() for r in rows]
    text = model.text_to_joint(text_embeddings(model, captions, task=CAPTION_TASK, root=cache_root,
                                               show_progress_bar=show_progress_bar))
    dev = set(dev)
    fit = [i for i, r in enumerate(rows) if r["image"] not in dev and (target == "english" or r["image"] in images)]
    if not fit:
        raise ValueError(f"every one of the {len(rows)} captions is of a dev image (or of no photo found): nothing to fit on")
    maps = fit_query_maps(text[fit], [rows[i]["lang"] for i in fit], [rows[i]["image"] for i in fit],
                          reference=reference, targets=images if target == "images" else None, **options)
    result = CaptionFit(maps, fitted_on=len(fit))
    held = [i for i, r in enumerate(rows) if r["image"] in dev and images and r["image"] in images]
    if held:
        result.dev, result.dev_images = dev_recall(model, maps, [rows[i] for i in held], text[held], images)
    return result


def dev_recall(model, maps: dict, rows: Sequence[dict], text: torch.Tensor, images: dict) -> tuple[dict, int]:
    """Text→image R@5 per language over the images of ``rows``: each row's caption ranks them by its plain
    vector and by the product's path with ``maps`` (detection, then its language's map)."""
    names = sorted({r["image"] for r in rows})
    gallery = torch.stack([images[n] for n in names])
    truth = torch.tensor([names.index(r["image"]) for r in rows])
    known = model.query_maps.maps if model.query_maps is not None else {}
    model.set_query_maps({**known, **maps})
    try:
        mapped = model.image_queries([r["caption"].strip() for r in rows], text)
    finally:
        model.set_query_maps(known)
    out = {}
    for lang in sorted({r["lang"] for r in rows}):
        picked = [i for i, r in enumerate(rows) if r["lang"] == lang]
        out[lang] = {kind: retrieval_recall(gallery, vectors[picked], truth[picked])["t2i_R@5"]
                     for kind, vectors in (("plain", text), ("mapped", mapped))}
    return out, len(names)


def save_with_maps(model, maps: dict, out) -> Path:
    """Save ``model`` with ``maps`` added to those it has, its description naming the mapped languages. The name
    stays the model's: so do its image vectors, so its collections accept the new folder."""
    import dataclasses

    known = model.query_maps.maps if model.query_maps is not None else {}
    model.set_query_maps({**known, **maps})
    described = model.config.description.split(MAPPED)[0]
    languages = "/".join(model.query_maps.languages)
    model.config = dataclasses.replace(model.config, description=f"{described}{MAPPED}{languages} mapped for image search")
    return model.save(out)
