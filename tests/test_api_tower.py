"""The API text tower without a server: its config in model files, its identity, the CLI flags, a closed port."""

import argparse
import json
import socket

import pytest

from mmretrieval import ApiTextConfig, ModelConfig, TextTowerConfig
from mmretrieval.cli.text_endpoint import add_text_endpoint_args, with_text_endpoint
from mmretrieval.identity import text_identity


def test_configs_round_trip_and_local_files_stay_as_they_were(tmp_path):
    api = ModelConfig(name="m", text=ApiTextConfig(model="text-embedding-3-small", base_url="http://127.0.0.1:9/v1",
                                                   dimensions=256), embed_dim=256)
    api.save(tmp_path / "api.json")
    saved = json.loads((tmp_path / "api.json").read_text())["text"]
    assert saved["kind"] == "openai" and saved["api_key_env"] == "OPENAI_API_KEY" and "key" not in saved
    assert ModelConfig.load(tmp_path / "api.json") == api
    local = ModelConfig(name="m", text=TextTowerConfig(model="minilm-l6"))
    assert "kind" not in local.to_dict()["text"]  # a local tower's config.json is what it was before API towers
    assert ModelConfig.from_dict({**local.to_dict(), "text": {"model": "minilm-l6", "kind": "local"}}) == local
    with pytest.raises(ValueError, match="unknown text tower kind 'cohere'.*openai"):
        ModelConfig.from_dict({**local.to_dict(), "text": {"model": "x", "kind": "cohere"}})


def tower(**config):
    pytest.importorskip("openai", reason="the API text tower needs the openai extra")
    from mmretrieval.text.api_tower import ApiTextTower

    return ApiTextTower(ApiTextConfig(**config), dim=8)  # (no request is made until it encodes)


def test_identity_is_the_endpoint_model_and_size_not_the_url_or_key():
    one = text_identity(tower(model="text-embedding-3-small", base_url="http://a/v1", dimensions=256))
    assert one == text_identity(tower(model="text-embedding-3-small", base_url="http://b:8000/v1", dimensions=256,
                                       api_key_env="OTHER_KEY", timeout=5, max_retries=0))
    assert one != text_identity(tower(model="text-embedding-3-small", dimensions=512))
    assert one != text_identity(tower(model="text-embedding-3-large", dimensions=256))


def test_task_prefixes_map_as_for_local_towers():
    assert tower(model="text-embedding-3-small").prompts == {}  # OpenAI's models take none
    e5 = tower(model="intfloat/multilingual-e5-small")  # (e.g. served by TEI or infinity under its hub id)
    assert (e5.prompt_for("retrieval.query"), e5.prompt_for("retrieval.passage"), e5.prompt_for(None)) == ("query: ", "passage: ", "")
    assert tower(model="nomic-embed-text").prompt_for("retrieval.passage") == "search_document: "  # Ollama's name
    assert tower(model="m", prompts={"retrieval.query": "Q: "}).prompt_for("retrieval.query") == "Q: "
    with pytest.raises(ValueError, match="unknown task"):
        e5.prompt_for("search")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # free once the socket closes: nothing listens there


def test_a_server_that_is_down_is_named_with_what_to_do():
    pytest.importorskip("openai", reason="the API text tower needs the openai extra")
    from mmretrieval.text.api_tower import ApiTextTower
    from mmretrieval.text.endpoint import EndpointError

    url = f"http://127.0.0.1:{closed_port()}/v1"
    tower = ApiTextTower(ApiTextConfig(model="m", base_url=url, max_retries=1), dim=8)
    with pytest.raises(EndpointError, match=rf"cannot reach the embeddings endpoint {url} \(2 tries, with backoff\)"
                                           r".*Start the server, or fix the base URL"):
        tower.encode("a cat")


def test_a_tower_of_unknown_size_is_refused():
    pytest.importorskip("openai", reason="the API text tower needs the openai extra")
    from mmretrieval.text.api_tower import ApiTextTower

    with pytest.raises(ValueError, match="needs its vector size: set text.dimensions"):
        ApiTextTower(ApiTextConfig(model="m", base_url="http://127.0.0.1:9/v1"))


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_text_endpoint_args(parser)
    return parser.parse_args(argv)


def test_cli_flags_put_the_text_tower_behind_the_endpoint(tiny_model_config):
    assert with_text_endpoint(tiny_model_config, parse()) is tiny_model_config
    base = tiny_model_config.__class__(**{**tiny_model_config.__dict__, "matryoshka_dims": (16, 32), "min_score": 0.2})
    config = with_text_endpoint(base, parse("--text-endpoint", "http://127.0.0.1:9/v1", "--text-model", "org/emb",
                                            "--text-dimensions", "64"))
    assert config.text == ApiTextConfig(model="org/emb", base_url="http://127.0.0.1:9/v1", dimensions=64)
    assert (config.embed_dim, config.matryoshka_dims, config.trunk) == (64, (16, 32, 64), base.trunk)
    assert config.min_score is None  # calibrated for the other text model
    with pytest.raises(ValueError, match="need --text-model"):
        with_text_endpoint(base, parse("--text-endpoint", "http://127.0.0.1:9/v1"))
