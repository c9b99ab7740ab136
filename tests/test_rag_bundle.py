"""Context bundle schema, the prompt, and generation against a fake OpenAI-compatible endpoint on loopback."""

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from mmretrieval.rag.bundle import ContextBundle, ContextItem, build_prompt
from mmretrieval.rag.generate import ENV_MODEL, ENV_URL, GenerationError, GeneratorConfig, generate

ITEM_KEYS = {"kind", "id", "score", "cosine", "path", "text", "caption", "start", "end", "explanation"}


def make_bundle(assets):
    items = [
        ContextItem("image", "a1", 0.0164, 0.31, path=str(assets / "rocket.jpg"), caption="a rocket lifting off"),
        ContextItem("text", "t1", 0.0161, 0.82, path="/docs/space.md", text="Rockets burn fuel.", start=10, end=28),
        ContextItem("image", "a2", 0.0159, 0.22, path=str(assets / "astronaut.jpg")),
    ]
    return ContextBundle("How do rockets fly?", items, "rrf", build_prompt("How do rockets fly?", items))


def test_bundle_json_schema(assets):
    data = json.loads(make_bundle(assets).to_json())
    assert set(data) == {"question", "fusion", "prompt", "items"}
    assert [item["kind"] for item in data["items"]] == ["image", "text", "image"]
    for item in data["items"]:
        assert set(item) == ITEM_KEYS
        assert isinstance(item["id"], str) and isinstance(item["score"], float)
        assert item["path"] or item["text"]
    assert data["items"][1]["text"] == "Rockets burn fuel." and data["items"][1]["start"] == 10


def test_prompt_numbers_sources_and_names_attached_images(assets):
    prompt = make_bundle(assets).prompt
    assert "[1] Image" in prompt and "attached image #1" in prompt and "Caption: a rocket lifting off" in prompt
    assert "[2] Passage from /docs/space.md, characters 10-28:\nRockets burn fuel." in prompt
    assert "[3] Image" in prompt and "attached image #2" in prompt
    assert prompt.rstrip().endswith("cite them by number.")
    assert "Question: How do rockets fly?" in prompt
    assert "(no sources were found)" in build_prompt("q", [])


def test_messages_attach_images_as_small_jpegs(assets):
    messages = make_bundle(assets).to_messages(max_image_side=64)
    assert messages[0]["role"] == "system"
    parts = messages[1]["content"]
    assert parts[0]["type"] == "text" and [p["type"] for p in parts[1:]] == ["image_url", "image_url"]
    url = parts[1]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert max(image.size) <= 64


class FakeLLM(BaseHTTPRequestHandler):
    requests = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        n_images = sum(p["type"] == "image_url" for p in body["messages"][1]["content"])
        reply = {"choices": [{"message": {"role": "assistant", "content": f"saw {n_images} images [1]"}}]}
        data = json.dumps(reply if FakeLLM.status == 200 else {"error": "nope"}).encode()
        self.send_response(FakeLLM.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def fake_llm():
    FakeLLM.requests, FakeLLM.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_generate_posts_a_chat_completion(assets, fake_llm):
    config = GeneratorConfig(url=fake_llm, model="fake-vlm", api_key="sk-test")
    assert generate(make_bundle(assets), config) == "saw 2 images [1]"
    (request,) = FakeLLM.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "fake-vlm"
    assert "Rockets burn fuel." in request["body"]["messages"][1]["content"][0]["text"]


def test_generate_reports_endpoint_errors(assets, fake_llm):
    FakeLLM.status = 500
    with pytest.raises(GenerationError, match="HTTP 500"):
        generate(make_bundle(assets), GeneratorConfig(url=fake_llm, model="m"))
    with pytest.raises(GenerationError, match="could not reach"):
        generate(make_bundle(assets), GeneratorConfig(url="http://127.0.0.1:9/v1", model="m", timeout=2))


def test_generator_config_from_flags_and_env(monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    assert GeneratorConfig.from_env() is None
    monkeypatch.setenv(ENV_URL, "http://127.0.0.1:1234/v1/")
    with pytest.raises(ValueError, match=ENV_MODEL):
        GeneratorConfig.from_env()
    monkeypatch.setenv(ENV_MODEL, "env-model")
    config = GeneratorConfig.from_env()
    assert config.completions_url == "http://127.0.0.1:1234/v1/chat/completions" and config.model == "env-model"
    assert GeneratorConfig.from_env(model="flag-model").model == "flag-model"
