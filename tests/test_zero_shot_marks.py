"""Results of a model with a concept prior on data sets whose classes overlap its label set are marked not
zero-shot, in the run's JSON and in the report, beside web-trained CLIP baselines."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from mmretrieval.concept_prior import ConceptPrior
from mmretrieval.config import ConceptPriorConfig
from mmretrieval.evaluation.datasets import ClassificationData, RetrievalData, dataset_config
from mmretrieval.evaluation.models import ModelSpec
from mmretrieval.evaluation.report import markdown
from mmretrieval.evaluation.zero_shot import not_zero_shot, prior_record

OURS = ModelSpec("e5-small-lite0")


def _model(labels=("tench", "goldfish", "tabby cat"), label_set="imagenet-1k"):
    prior = ConceptPrior(np.eye(len(labels), 4), labels, label_set)
    return SimpleNamespace(config=SimpleNamespace(concept_prior=ConceptPriorConfig(label_set=label_set)),
                           concept_prior=prior)


def _classes(*names):
    return ClassificationData([f"{i}.jpg" for i in range(len(names))], list(range(len(names))), list(names),
                              ["a photo of a {}."])


def test_declared_label_sets_and_shared_class_names_mark_a_result():
    model = _model()
    assert "label_sets" in dataset_config("imagenette") and "imagenet-1k" in dataset_config("cifar10")["label_sets"]
    marked = not_zero_shot(model, OURS, dataset_config("cifar10"), _classes("airplane", "automobile"))
    assert marked["reason"] == "concept_prior" and "imagenet-1k" in marked["why"]
    by_name = not_zero_shot(model, OURS, {}, _classes("Goldfish", "spaceship"))
    assert by_name["reason"] == "concept_prior" and "1 class names" in by_name["why"]
    assert not_zero_shot(model, OURS, {}, _classes("spaceship", "asteroid")) is None
    wider = _model(labels=("animal", "plant"), label_set="imagenet-21k")
    assert not_zero_shot(wider, OURS, dataset_config("imagenette"), _classes("x", "y"))["reason"] == "concept_prior"


def test_models_without_a_prior_and_retrieval_sets_stay_unmarked():
    plain = SimpleNamespace(config=SimpleNamespace(concept_prior=None), concept_prior=None)
    assert prior_record(plain) is None
    assert not_zero_shot(plain, OURS, dataset_config("cifar10"), _classes("airplane")) is None
    retrieval = RetrievalData(["a.jpg"], ["a dog"], [[0]])
    assert not_zero_shot(_model(), OURS, dataset_config("imagenette"), retrieval) is None
    record = prior_record(_model())
    assert record["label_set"] == "imagenet-1k" and record["classes"] == 3 and record["weight"] == 0.25


def test_web_trained_clip_is_marked_but_a_local_checkpoint_is_not():
    web = ModelSpec("ViT-B-32", kind="open_clip", pretrained="laion2b_s34b_b79k")
    local = ModelSpec("mmr-clip", kind="open_clip", pretrained="runs/clip/checkpoint.pt")
    plain = object()
    assert not_zero_shot(plain, web, {}, _classes("cat"))["reason"] == "web"
    assert not_zero_shot(plain, local, {}, _classes("cat")) is None


def test_report_marks_not_zero_shot_cells_and_explains_the_marks():
    def result(model, dataset, task, value, mark=None, prior=None):
        out = {"model": model, "dataset": dataset, "task": task, "language": "en", "embed_dim": 4,
               "metrics": {"top1": value, "text_to_image_R@5": value}, "metrics_by_dim": {"4": {"top1": value}},
               "dataset_info": {"images": 10}, "model_spec": {"name": model}, "wall_time_s": {"encode": 1, "total": 1}}
        if mark:
            out["not_zero_shot"] = {"reason": mark, "why": "..."}
        if prior:
            out["concept_prior"] = prior
        return out

    prior = {"label_set": "imagenet-1k", "classes": 1000}
    results = [result("ours", "cifar10", "zeroshot_classification", 80.0, "concept_prior", prior),
               result("clip", "cifar10", "zeroshot_classification", 90.0, "web"),
               result("ours", "flickr8k-test", "retrieval", 58.0, prior=prior)]
    text = markdown(results, [])
    assert "| cifar10 | zeroshot_classification | top1 | **90.0**‡ | 80.0† |" in text
    assert "| flickr8k-test | retrieval | text_to_image_R@5 |  | **58.0** |" in text
    assert "† not zero-shot" in text and "‡ not known to be zero-shot" in text
    assert "concept prior over imagenet-1k (1,000 classes)" in text
    assert "†" not in markdown([results[2]], [])
