"""Every read path refuses a model that did not make the collection, naming both (issue: search with
another model silently returned hits)."""

import dataclasses

import pytest

from mmretrieval.cli.main import main
from mmretrieval.indexing import Index
from mmretrieval.store import ModelMismatchError, VectorStore


@pytest.fixture(scope="module")
def other_model(tiny_model_config):
    import torch

    from mmretrieval import MMRetrievalModel

    torch.manual_seed(7)
    return MMRetrievalModel(dataclasses.replace(tiny_model_config, name="tiny-other"), device="cpu")


@pytest.fixture(scope="module")
def made_by_tiny(tiny_model, other_model, assets, tmp_path_factory):
    """A store indexed by ``tiny``, plus both models saved as folders for ``--model``."""
    root = tmp_path_factory.mktemp("check")
    with Index.open(path=root / "q", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
    return root / "q", tiny_model.save(root / "tiny"), other_model.save(root / "other")


def test_python_search_refuses_another_model(made_by_tiny, other_model, tiny_model):
    store, _, _ = made_by_tiny
    with Index.open(path=store, model=other_model) as index:
        with pytest.raises(ModelMismatchError, match="'tiny'.*'tiny-other'"):
            index.search(text="a cat")
        with pytest.raises(ModelMismatchError, match="not comparable"):
            index.search(image=store.parent / "tiny" / "config.json")  # refused before the file is read
    with Index.open(path=store, model=tiny_model) as index:
        assert index.search(text="a cat", limit=2)  # the model that made it still works


@pytest.mark.parametrize("command", [["search", "a dog"], ["rag", "what is on the pad?"]])
def test_cli_read_commands_refuse_another_model(made_by_tiny, command, capsys):
    store, tiny, other = made_by_tiny
    assert main([*command, "--store", str(store), "--model", str(other)]) == 2
    err = capsys.readouterr().err
    assert "'tiny'" in err and "'tiny-other'" in err and "leave out --model" in err
    assert main([*command, "--store", str(store), "--model", str(tiny)]) == 0


def test_a_collection_of_a_model_that_is_not_built_in_asks_for_its_folder(made_by_tiny, capsys):
    store, _, _ = made_by_tiny
    assert main(["search", "a dog", "--store", str(store)]) == 2
    assert "made by model 'tiny', which is not built in" in capsys.readouterr().err


def test_serve_refuses_another_model_before_serving(made_by_tiny, other_model):
    pytest.importorskip("fastapi")
    from mmretrieval.server import create_app

    store, _, _ = made_by_tiny
    with Index(VectorStore(path=store), other_model) as index:
        with pytest.raises(ModelMismatchError, match="'tiny-other'"):
            create_app(index)
