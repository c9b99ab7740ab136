"""The adapter trained with the concept prior in the loop (issue 25), scored as ``mmretrieval eval`` scores.

    python eval/concept_prior_trained.py [--arms c-w0.5-k1 c-w0.75-k10 c-none r-w0.5-k1] [--test] [train options]

Each ``c-`` arm trains the default with the shipped recipe (``multilingual_train.RECIPE``: centred, Matryoshka
weights 1 2 1 1 1, 30 epochs, best epoch on Flickr8k dev rsum) and ``mmretrieval convert`` puts it in e5's raw
space, as the default was made. Training mixes the prior in (``adapter_forward``: the adapter learns the residual
around it) in the *centred* space it trains in. In the raw space the image's and the class vectors' parts
orthogonal to the caption mean have other lengths, so ``convert`` scales the weight to keep that balance
(``raw_space.carry_prior``); each arm is served at that weight ("as converted") and at ``SERVED`` times the
trained one, and ``mismatch`` says how near each comes to the vectors the adapter trained as (0: exact). ``r-``
arms train in the raw space directly (``--space raw``: served exactly as trained, but without a prior that recipe
scored below the centred one). ``c-none`` retrains without a prior (retraining noise), also served with the
post-hoc dev pick and with each trained arm's converted setting added post hoc (the same prior, the adapter not
trained around it: list it after those arms). Every arm gets the shipped query bank and query maps.

The pick: the largest Imagenette gain keeping Flickr8k dev t2i R@5, i2t R@5 and multilingual dev t2i R@5 at
least at the shipped default's; it is saved whole (runs/prior/ARM/pick) and ``--test`` scores it and the shipped
default on Flickr8k test. ``ceiling``: the shipped adapter with the prior at the config's largest weight (4),
what this head can give CIFAR-10 and Imagenette at all. Imagenette and CIFAR-10 are *not zero-shot* (ImageNet-1k
head). Writes eval/results/concept_prior_trained_e5-small-lite0.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import time

import torch

from concept_prior import BREADTH, GUARDED, RESULTS, label, scores
from mmretrieval import DEFAULT_MODEL, load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.concept_prior import add_prior
from mmretrieval.config import ConceptPriorConfig
from mmretrieval.evaluation.datasets import load_dataset
from mmretrieval.train.cache import image_features
from multilingual_train import RECIPE
from script_args import ROOT, data_root

DATA = data_root()
RUNS = ROOT / "runs" / "prior"
LABELS = "imagenet-1k"  # the Lite trunk's head
ARMS = {"c-w0.5-k1": ConceptPriorConfig(0.5, 1, label_set=LABELS),  # (in order: the control comes after)
        "c-w0.75-k10": ConceptPriorConfig(0.75, 10, label_set=LABELS), "c-none": None,
        "r-w0.5-k1": ConceptPriorConfig(0.5, 1, label_set=LABELS)}
RAW = ["--space", "raw", *RECIPE[2:]]  # r- arms train in the raw space directly: served exactly as trained
SERVED = (1.0, 1.5, 2.5)  # raw weights tried per trained arm, as multiples of the weight it trained with
POST_HOC = ConceptPriorConfig(0.5, 1, label_set=LABELS)  # the post-hoc dev pick (eval/concept_prior.py)
CEILING = [ConceptPriorConfig(4.0, k, label_set=LABELS) for k in (1, 10)]
TODAY = {"text_to_image_R@5": 58.76, "image_to_text_R@5": 62.5, "multilingual": 51.66}  # the shipped default, dev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--test", action="store_true", help="also the pick and the shipped default on Flickr8k test")
    args, extra_train = parser.parse_known_args()
    torch.set_num_threads(1)  # (the 2 cores are shared with training runs)
    start = time.perf_counter()
    shipped = load_model(DEFAULT_MODEL, device="cpu")
    sets = {name: load_dataset(name, str(DATA)) for name in GUARDED}
    sets.update({name: load_dataset(name, str(DATA), **extra) for name, extra in BREADTH.items()})
    texts: dict = {}
    add_prior(shipped, CEILING[0])
    alike: list = []  # the trained arms' settings as converted, for the control to take post hoc
    rows = [row("shipped", "ceiling " + label(s), shipped, s, sets, texts, sets=BREADTH) for s in CEILING]
    for arm in args.arms:
        model, centred = trained(arm, extra_train, shipped)
        trained_with = ARMS[arm]
        converted = model.config.concept_prior.weight  # (what `convert` set: the trained balance)
        weights = [] if trained_with is None else sorted({trained_with.weight * f for f in SERVED} | {converted})
        served = [dataclasses.replace(trained_with, weight=round(w, 3)) for w in weights] or [None, POST_HOC, *alike]
        if trained_with and arm.startswith("c-"):  # the control gets it post hoc: the same vectors, untrained for
            alike.append(dataclasses.replace(trained_with, weight=converted))
        dev_pooled = image_features(model, sets["flickr8k-dev"].images, show_progress_bar=False).pooled
        for settings in served:
            gap = mismatch(model, centred, settings, dev_pooled) if trained_with else None
            mark = " (as converted)" if trained_with and settings.weight == converted and arm.startswith("c-") else ""
            rows.append(row(arm, label(settings) + mark, model, settings, sets, texts, mismatch=gap))
    keep = [r for r in rows if "flickr8k-dev" in r and r["settings"] and kept(r)]
    pick = max(keep, key=lambda r: r["imagenette"]["top1"]) if keep else None
    report = {"model": DEFAULT_MODEL, "recipe": RECIPE + extra_train, "today_dev": TODAY, "rows": rows,
              "pick": pick and f"{pick['arm']} served {pick['setting']}"}
    print(f"\npick: {report['pick']}", flush=True)
    if pick:  # the pick as a whole model folder (weights, prior, shipped bank and maps) for `mmretrieval eval`
        model = trained(pick["arm"], [], shipped)[0]
        model.config = dataclasses.replace(model.config, concept_prior=ConceptPriorConfig(**pick["settings"]))
        report["pick_folder"] = str(model.save(RUNS / pick["arm"] / "pick"))
    if args.test and pick:
        test = {"flickr8k-test": load_dataset("flickr8k-test", str(DATA))}
        pick["flickr8k-test"] = row(pick["arm"], pick["setting"], model, model.config.concept_prior, test,
                                    texts)["flickr8k-test"]
        report["shipped_test"] = row("shipped", "no prior", shipped, None, test, texts)["flickr8k-test"]
        print(f"Flickr8k test: pick {pick['flickr8k-test']}; shipped {report['shipped_test']}", flush=True)
    report.update(seconds=round(time.perf_counter() - start), load_average=os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"concept_prior_trained_{DEFAULT_MODEL}.json").write_text(json.dumps(report, indent=1) + "\n")


def trained(arm: str, extra_train: list, shipped):
    """``(raw model, centred model)`` of ``arm``: trained and converted once (kept under runs/prior/ARM), with the
    shipped query bank and maps and the prior's class vectors in each model's own space (``convert`` writes the
    raw ones and the raw weight that keeps the trained balance: ``raw_space.carry_prior``)."""
    run, settings = RUNS / arm, ARMS[arm]
    prior = [] if settings is None else ["--concept-prior", str(settings.weight), "--concept-top-k", str(settings.top_k)]
    raw = run / ("best" if arm.startswith("r-") else "raw")
    if not (run / "best" / "config.json").exists():
        if cli(["train", str(DATA / "flickr8k"), "--split", "train", "--model", DEFAULT_MODEL, "--out", str(run),
                *(RAW if arm.startswith("r-") else RECIPE), *extra_train, *prior]):
            raise SystemExit(f"training {arm} failed")
    if not (raw / "config.json").exists() and cli(["convert", str(run / "best"), "--out", str(raw)]):
        raise SystemExit(f"converting {arm} failed")
    model, centred = load_model(str(raw), device="cpu"), load_model(str(run / "best"), device="cpu")
    model.bank, maps = shipped.bank, dict(shipped.query_maps.maps)
    model.set_query_maps(maps)
    if model.concept_prior is None:  # (c-none: the post-hoc pick's; raw class vectors are the text tower's own)
        add_prior(model, POST_HOC)
    return model, centred


def row(arm: str, setting: str, model, settings, datasets: dict, texts: dict, sets=None, mismatch=None) -> dict:
    """The evaluator's metrics for ``model`` served with prior ``settings`` (None: none) on ``datasets``."""
    out = {"arm": arm, "setting": setting, "settings": dataclasses.asdict(settings) if settings else None}
    if mismatch is not None:
        out["mismatch"] = mismatch
    with serving(model, settings):
        for name in (sets or datasets):
            out[name] = scores(model, name, datasets[name], texts)  # (raw models: text vectors all alike)
    print(json.dumps(out), flush=True)
    return out


@contextlib.contextmanager
def serving(model, settings):
    """``model`` serving its prior with ``settings`` (None: none) inside the block; its config and prior restored."""
    base, prior = model.config, model.concept_prior
    model.config = dataclasses.replace(base, concept_prior=settings)
    try:
        yield model
    finally:
        model.config, model.concept_prior = base, prior


@torch.no_grad()
def mismatch(model, centred, settings, pooled: torch.Tensor) -> float:
    """How far ``model``'s vectors served with ``settings`` are from the vectors its adapter trained as (the
    centred model's, its prior mixed in, mapped into the raw space as ``convert`` maps images), as a share of
    how far the trained prior moved them: mean |served - trained| / mean |trained - without the prior|."""
    served, bare = (served_vectors(model, s, pooled) for s in (settings, None))
    trained = centred.adapter_forward(pooled)
    if not centred.raw_space:
        trained = model.space.place_image(trained @ centred.space.rotation.T, model.config.image_mean_cos)
    return round(float((served - trained).norm(dim=1).mean() / (trained - bare).norm(dim=1).mean()), 4)


def served_vectors(model, settings, pooled: torch.Tensor) -> torch.Tensor:
    with serving(model, settings):
        return model.adapter_forward(pooled)


def kept(r: dict) -> bool:
    f, m = r["flickr8k-dev"], r["multilingual-dev"]
    return (f["text_to_image_R@5"] >= TODAY["text_to_image_R@5"] and f["image_to_text_R@5"] >= TODAY["image_to_text_R@5"]
            and m["text_to_image_R@5"] >= TODAY["multilingual"])


if __name__ == "__main__":
    main()
