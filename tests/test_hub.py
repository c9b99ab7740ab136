"""Sharing adapters: save_pretrained (+ model card from the training log), push_to_hub, load_model("user/repo")."""

import pytest
import torch

from mmretrieval import MMRetrievalModel, load_model

from hub_cache import fake_snapshot, use_hub_cache


@pytest.fixture(scope="module")
def trained_run(tiny_model_config, caption_pairs_csv, tmp_path_factory):
    from mmretrieval.train.data import load_pairs
    from mmretrieval.train.loop import TrainConfig, train

    run = tmp_path_factory.mktemp("run")
    torch.manual_seed(0)
    model = MMRetrievalModel(tiny_model_config, device="cpu")
    pairs = load_pairs(caption_pairs_csv)
    train(model, pairs, pairs, TrainConfig(epochs=2, batch_size=8), out_dir=run / "x",
          cache_root=tmp_path_factory.mktemp("cache"))
    return run / "x"


def test_save_pretrained_writes_a_model_card_from_the_log(trained_run, tmp_path):
    model = load_model(str(trained_run / "best"), device="cpu")
    folder = model.save_pretrained(tmp_path / "shared")  # finds ../log.jsonl next to best/
    assert {p.name for p in folder.iterdir()} == {"config.json", "adapter.safetensors", "README.md"}
    card = (folder / "README.md").read_text()
    assert card.startswith("---\n") and "library_name: mmretrieval" in card
    assert "2 epochs logged" in card and "Dev retrieval at the best epoch" in card and "t2i_R@5" in card
    assert "epochs=2" in card and "batch_size=8" in card  # the recipe, from checkpoint.pt
    bare = MMRetrievalModel(model.config, device="cpu").save_pretrained(tmp_path / "untrained")
    assert "No training log" in (bare / "README.md").read_text()


def test_load_model_by_repo_id_from_the_offline_cache(trained_run, tmp_path, monkeypatch, assets):
    model = load_model(str(trained_run / "best"), device="cpu")
    shared = model.save_pretrained(tmp_path / "shared")
    fake_snapshot(tmp_path / "hub", "someone/tiny-adapter", shared)
    use_hub_cache(monkeypatch, tmp_path / "hub")
    from_hub = load_model("someone/tiny-adapter", device="cpu")
    image = assets / "cat.jpg"
    torch.testing.assert_close(torch.as_tensor(from_hub.encode_image(image)), torch.as_tensor(model.encode_image(image)))
    with pytest.raises(FileNotFoundError, match="not in the local HF cache"):
        load_model("someone/never-downloaded", device="cpu")


@pytest.fixture
def fake_hub_api(monkeypatch):
    """HfApi's create_repo / upload_folder replaced at the boundary: records what would be sent."""
    from huggingface_hub import HfApi

    sent = {}

    def create_repo(self, repo_id, private=None, exist_ok=False, **kwargs):
        sent["repo"] = (repo_id, private, exist_ok)
        return type("RepoUrl", (), {"repo_id": repo_id})()

    def upload_folder(self, repo_id, folder_path, commit_message, **kwargs):
        sent["files"] = {p.name: p.read_bytes() for p in folder_path.iterdir()}
        sent["commit"] = (repo_id, commit_message)
        return type("CommitInfo", (), {"commit_url": f"https://huggingface.co/{repo_id}/commit/abc"})()

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
    return sent


def test_push_to_hub_uploads_one_commit(trained_run, fake_hub_api):
    from safetensors.torch import load as load_bytes
    from safetensors.torch import load_file

    sent = fake_hub_api
    model = load_model(str(trained_run / "best"), device="cpu")
    url = model.push_to_hub("someone/tiny-adapter", private=True)
    assert url == "https://huggingface.co/someone/tiny-adapter/commit/abc"
    assert sent["repo"] == ("someone/tiny-adapter", True, True)
    assert set(sent["files"]) == {"config.json", "adapter.safetensors", "README.md"}
    assert b'load_model("someone/tiny-adapter")' in sent["files"]["README.md"]
    weights = load_file(str(trained_run / "best" / "adapter.safetensors"))
    uploaded = load_bytes(sent["files"]["adapter.safetensors"])
    assert weights.keys() == uploaded.keys() and all(torch.equal(weights[k], uploaded[k]) for k in weights)
    with pytest.raises(ValueError, match="not a Hub repo id"):
        model.push_to_hub("not a repo")


def test_push_command(trained_run, fake_hub_api, capsys):
    from mmretrieval.cli.main import main

    assert main(["push", str(trained_run / "best"), "someone/cli-adapter"]) == 0
    assert "someone/cli-adapter" in capsys.readouterr().out
    assert fake_hub_api["repo"] == ("someone/cli-adapter", None, True)
    assert b"2 epochs logged" in fake_hub_api["files"]["README.md"]
