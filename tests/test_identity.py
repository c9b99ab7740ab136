"""One identity of a model: pinned cache keys and fingerprints, every vector-changing option, no runtime."""

import dataclasses

import pytest
import torch
from safetensors.torch import load_file

from mmretrieval import MMRetrievalModel
from mmretrieval.concept_prior import model_prior
from mmretrieval.config import TrunkConfig
from mmretrieval.identity import adapter_fingerprint, prior_fingerprint, text_identity, trunk_identity
from mmretrieval.registry import _package_dir, get_model_config
from mmretrieval.vision.trunk import ImageTrunk, build_trunk

# Computed with the code before mmretrieval/identity.py existed: the feature cache
# (~/.cache/mmretrieval/features/images/<key>) and every collection made since are keyed by these.
PINNED_TRUNKS = {  # (plain view, mirrored view)
    TrunkConfig(): ("d3dc5a8224026e01", "9cbbc1ad656e58d0"),  # the tiny test configs' trunk
    get_model_config("e5-small-lite0").trunk: ("90d1a8561449263c", "881c88a797de7302"),
    get_model_config("minilm-l6-lite0").trunk: ("44f42f228f35cff1", "40438b3ad9ffd485"),
}
# e5-small-lite0 moved from c9571fb88d80ca90 when it became a raw-space model (new tensors, space, image_mean_cos);
# a concept prior in its config would move it again (6d0753c0af1eaa7e with the dev pick, docs/concept-prior.md)
PINNED_FINGERPRINTS = {"e5-small-lite0": "b7bfe727fb8a54a2", "minilm-l6-lite0": "6bb7c2b832cda28d"}
PINNED_TEXT = {"minilm-l6-lite0": "c2d38fe4260c57bd"}  # e5's: tests/test_default_model.py, where e5 is loaded


@pytest.mark.parametrize("config", list(PINNED_TRUNKS), ids=["lite0", "e5-small-lite0", "minilm-l6-lite0"])
def test_feature_cache_keys_of_existing_configs_are_unchanged(config):
    trunk = build_trunk(config, device="cpu")
    assert (trunk_identity(trunk), trunk_identity(trunk, mirrored=True)) == PINNED_TRUNKS[config]


def test_index_fingerprints_and_text_keys_of_shipped_models_are_unchanged():
    from mmretrieval.text.tower import TextTower

    for name, fingerprint in PINNED_FINGERPRINTS.items():
        shipped = load_file(str(_package_dir("pretrained") / f"{name}.safetensors"))
        shipped = {k: v for k, v in shipped.items() if not k.startswith("query_maps.")}  # (they rank no image)
        config = get_model_config(name)
        concepts = prior_fingerprint(config.concept_prior, model_prior(name))
        assert adapter_fingerprint(shipped, config.trunk, config.space, config.image_mean_cos, concepts) == fingerprint
    text = get_model_config("minilm-l6-lite0").text
    assert text_identity(TextTower(text, device="cpu")) == PINNED_TEXT["minilm-l6-lite0"]


def _build(config):
    torch.manual_seed(0)  # the same fresh adapter whenever its shape is the same
    model = MMRetrievalModel(config, device="cpu")
    with torch.no_grad():  # a fitted caption mean, as training leaves it (the raw space differs from the centred then)
        model.space.text_mean.copy_(torch.linspace(-0.1, 0.1, model.embed_dim))
    return model


def _variants(base):
    """(what changed, config, whether it changes the vectors)."""
    text, trunk, adapter = base.text, base.trunk, base.adapter
    mlp = dataclasses.replace(adapter, kind="mlp", hidden_dim=16)
    return [
        ("text.max_length", dataclasses.replace(base, text=dataclasses.replace(text, max_length=8)), True),
        ("text.pooling", dataclasses.replace(base, text=dataclasses.replace(text, pooling="cls")), True),
        ("text.prompts", dataclasses.replace(base, text=dataclasses.replace(
            text, prompts={"retrieval.query": "query: ", "retrieval.passage": "passage: "})), True),
        ("trunk.image_size", dataclasses.replace(base, trunk=dataclasses.replace(trunk, image_size=256)), True),
        ("trunk.extra_stages", dataclasses.replace(base, trunk=dataclasses.replace(trunk, extra_stages=1)), True),
        ("trunk.tta_flip", dataclasses.replace(base, trunk=dataclasses.replace(trunk, tta_flip=True)), True),
        ("adapter.kind", dataclasses.replace(base, adapter=mlp), True),
        ("adapter.hidden_dim (mlp)", dataclasses.replace(base, adapter=dataclasses.replace(mlp, hidden_dim=8)), True),
        ("space", dataclasses.replace(base, space="raw"), True),
        ("image_mean_cos", dataclasses.replace(base, space="raw", image_mean_cos=0.5), True),
        ("name", dataclasses.replace(base, name="renamed"), False),
        ("description", dataclasses.replace(base, description="other words"), False),
        ("matryoshka_dims", dataclasses.replace(base, matryoshka_dims=(8, 16, 32)), False),
        ("adapter.input_dropout", dataclasses.replace(base, adapter=dataclasses.replace(adapter, input_dropout=0.5)),
         False),  # training only
        ("adapter.hidden_dim (linear)", dataclasses.replace(base, adapter=dataclasses.replace(adapter, hidden_dim=7)),
         False),  # a linear adapter has no hidden layer
    ]


def test_every_vector_changing_option_changes_the_identity_and_nothing_else_does(tiny_model_config, assets):
    base = _build(tiny_model_config)
    reference = base.identity()
    image, text = str(assets / "cat.jpg"), "a cat on a sofa, seen from above"
    before = base.encode_image(image), base.encode_text(text, task="retrieval.query")
    for what, config, changes_vectors in _variants(tiny_model_config):
        model = _build(config)
        after = model.encode_image(image), model.encode_text(text, task="retrieval.query")
        same_vectors = all(a.shape == b.shape and torch.allclose(torch.from_numpy(a), torch.from_numpy(b))
                           for a, b in zip(before, after))
        assert same_vectors is not changes_vectors, f"{what}: the test's premise is wrong"
        assert (model.identity().digest != reference.digest) is changes_vectors, what
    retrained = _build(tiny_model_config)
    with torch.no_grad():
        retrained.adapter.net.weight[0, 0] += 1e-3
    assert retrained.identity().adapter != reference.adapter and retrained.identity().text == reference.text


class TorchScriptTrunk(ImageTrunk):
    """The same network run by another runtime (the TorchScript interpreter), as an ONNX trunk would be:
    it holds no weights of its own and reports the identity of the trunk it was made from."""

    def __init__(self, source: ImageTrunk, example: torch.Tensor):
        super().__init__()
        self.preprocess, self.output_dim = source.preprocess, source.output_dim
        self._source_parts = source.identity_parts()
        self._graph = torch.jit.trace(source, example, check_trace=False)

    def identity_parts(self):
        return self._source_parts

    def forward(self, pixels, return_grid=False):
        return self._graph(pixels)


def test_the_runtime_that_runs_the_trunk_does_not_change_identity_or_vectors(tiny_model_config, assets):
    model = _build(tiny_model_config)
    reference, vectors = model.identity(), model.encode_image([str(assets / "cat.jpg"), str(assets / "rocket.jpg")])
    model.trunk = TorchScriptTrunk(model.trunk, model.preprocess(str(assets / "cat.jpg"))[None])
    assert type(model.trunk).__name__ != "EfficientNetLiteTrunk" and not model.trunk.state_dict().keys() & {"net._bn0.weight"}
    assert model.identity() == reference
    again = model.encode_image([str(assets / "cat.jpg"), str(assets / "rocket.jpg")])
    assert torch.allclose(torch.from_numpy(again), torch.from_numpy(vectors), atol=1e-5)


def test_identity_is_plain_json(tiny_model):
    import json

    described = tiny_model.identity().to_dict()
    assert json.loads(json.dumps(described)) == described
    assert set(described) == {"name", "text", "prompts", "trunk", "views", "space", "adapter", "digest"}
    assert described["adapter"] == tiny_model.identity().adapter  # what a collection records



def test_weights_checksum_is_memoised_until_a_weight_changes(monkeypatch):
    import mmretrieval.identity as identity

    module = torch.nn.Linear(4, 3)
    first = identity.weights_checksum(module)
    hashed = []
    sha1 = identity.hashlib.sha1
    monkeypatch.setattr(identity.hashlib, "sha1", lambda *a: (hashed.append(1), sha1(*a))[1])
    assert identity.weights_checksum(module) == first and hashed == [], "unchanged weights are not summed again"
    with torch.no_grad():
        module.weight.add_(1.0)  # in place: same storage, new version
    changed = identity.weights_checksum(module)
    assert changed != first and hashed
    module.bias = torch.nn.Parameter(torch.zeros(3))  # a replaced tensor
    assert identity.weights_checksum(module) != changed
    frozen = torch.nn.Linear(4, 3)
    with torch.inference_mode():  # inference tensors keep no version counter: summed every time, still right
        frozen.register_buffer("table", torch.ones(2))
    hashed.clear()
    assert identity.weights_checksum(frozen) == identity.weights_checksum(frozen) and len(hashed) == 2
