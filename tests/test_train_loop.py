"""The training loop: learns, logs, keeps the best, resumes where it stopped, skips bad images."""

import json

import pytest
import torch

from mmretrieval import MMRetrievalModel, load_model
from mmretrieval.train import loop
from mmretrieval.train.data import load_pairs
from mmretrieval.train.loop import TrainConfig, train

RECIPE = TrainConfig(epochs=3, batch_size=4, lr=1e-2, seed=1)


@pytest.fixture(scope="module")
def model(tiny_model_config):
    """One model for every run here: ``train`` re-initialises the adapter from the seed each time."""
    return MMRetrievalModel(tiny_model_config, device="cpu")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("feature-cache")


def test_train_logs_keeps_best_and_reports_bad_images(model, caption_pairs_csv, cache, tmp_path):
    pairs = load_pairs(caption_pairs_csv)
    result = train(model, pairs, pairs, RECIPE, out_dir=tmp_path / "run", cache_root=cache)
    assert list(result.skipped) == [str(caption_pairs_csv.parent / "broken.jpg")]
    lines = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [0, 1, 2] and all("t2i_R@5" in x["dev"] for x in lines)
    assert result.best_metrics == max((x["dev"] for x in lines), key=lambda m: m["rsum"])
    best = load_model(str(tmp_path / "run" / "best"), device="cpu")
    assert torch.equal(best.adapter.net.weight, model.adapter.net.weight)
    assert not torch.equal(best.space.text_mean, torch.zeros_like(best.space.text_mean))
    with pytest.raises(FileExistsError, match="resume"):
        train(model, pairs, pairs, RECIPE, out_dir=tmp_path / "run", cache_root=cache)


def test_resume_continues_from_the_saved_epoch_and_repeats_the_run(
    model, caption_pairs_csv, cache, tmp_path, monkeypatch
):
    pairs = load_pairs(caption_pairs_csv)
    train(model, pairs, pairs, RECIPE, out_dir=tmp_path / "whole", cache_root=cache)
    whole_state = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=False)["model"]

    evaluate, seen = loop.evaluate_features, []

    def interrupt_in_second_epoch(*args, **kwargs):
        seen.append(1)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(loop, "evaluate_features", interrupt_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train(model, pairs, pairs, RECIPE, out_dir=tmp_path / "cut", cache_root=cache)
    monkeypatch.setattr(loop, "evaluate_features", evaluate)
    assert torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=False)["epoch"] == 0

    resumed = train(model, pairs, pairs, RECIPE, out_dir=tmp_path / "cut", cache_root=cache, resume=True)
    assert [x["epoch"] for x in resumed.history] == [0, 1, 2]
    logged = [json.loads(x)["epoch"] for x in (tmp_path / "cut" / "log.jsonl").read_text().splitlines()]
    assert logged == [0, 1, 2], "resume must not redo finished epochs"
    cut_state = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=False)["model"]
    for name, tensor in whole_state.items():
        assert torch.allclose(cut_state[name], tensor, atol=1e-6), name
    with pytest.raises(ValueError, match="another recipe"):
        train(model, pairs, pairs, TrainConfig(epochs=4), out_dir=tmp_path / "cut", cache_root=cache, resume=True)
