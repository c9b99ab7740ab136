"""HTTP API: search, upload, similar, RAG, image serving by id only, upload limits, API key."""

import io

import pytest
from PIL import Image

fastapi = pytest.importorskip("fastapi", reason="the server needs the serve extra: pip install -e '.[serve]'")
from fastapi.testclient import TestClient  # noqa: E402

from mmretrieval.indexing import Index  # noqa: E402
from mmretrieval.rag.generate import GeneratorConfig  # noqa: E402
from mmretrieval.server import ServerSettings, create_app  # noqa: E402
from test_rag_bundle import fake_llm  # noqa: E402,F401  (fixture: an OpenAI-compatible endpoint on loopback)

LIMIT = 200_000


@pytest.fixture(scope="module")
def index(tiny_model, assets, tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    (docs / "space.md").write_text("# Rockets\n\nA rocket burns fuel to reach orbit. " * 20)
    idx = Index.open(path=":memory:", model=tiny_model)
    idx.add_images(assets, show_progress_bar=False)
    idx.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
    yield idx
    idx.close()


def client(index, **settings):
    return TestClient(create_app(index, ServerSettings(max_upload_bytes=LIMIT, **settings)))


@pytest.fixture(scope="module")
def api(index):
    return client(index)


def image_id(api, name):
    hits = api.get("/api/search", params={"q": "a photo", "limit": 10}).json()["hits"]
    return next(h["id"] for h in hits if h["name"] == name)


def jpeg_bytes(path, size=64):
    image = Image.open(path).convert("RGB")
    image.thumbnail((size, size))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def test_health_and_page(api, index):
    health = api.get("/api/health").json()
    assert health["status"] == "ok" and health["points"] == index.count() > 5 and health["auth"] is False
    page = api.get("/")
    assert page.status_code == 200 and 'id="q"' in page.text
    assert api.get("/static/app.js").status_code == 200


def test_search_by_text(api):
    data = api.get("/api/search", params={"q": "a rocket", "limit": 3}).json()
    assert len(data["hits"]) == 3 and all(h["kind"] == "image" for h in data["hits"])
    assert data["hits"][0]["thumb_url"] == f"/api/thumb/{data['hits'][0]['id']}"
    both = api.get("/api/search", params={"q": "rocket fuel", "limit": 20, "kinds": "image,text"}).json()
    assert {h["kind"] for h in both["hits"]} == {"image", "text"}
    assert api.get("/api/search", params={"q": "x", "kinds": "audio"}).status_code == 422
    assert api.get("/api/search", params={"q": "x", "limit": 0}).status_code == 422


def test_search_by_uploaded_image_finds_that_image(api, assets):
    files = {"file": ("cat.jpg", (assets / "cat.jpg").read_bytes(), "image/jpeg")}
    hits = api.post("/api/search/image", files=files, params={"limit": 5}).json()["hits"]
    assert hits[0]["name"] == "cat.jpg" and hits[0]["score"] > 0.99
    bad = api.post("/api/search/image", files={"file": ("x.jpg", b"not an image", "image/jpeg")})
    assert bad.status_code == 400 and "x.jpg" in bad.json()["detail"]


def test_similar_excludes_the_item_itself(api):
    cat = image_id(api, "cat.jpg")
    data = api.get(f"/api/similar/{cat}", params={"limit": 10}).json()
    assert data["query"]["name"] == "cat.jpg"
    assert len(data["hits"]) == 4 and cat not in [h["id"] for h in data["hits"]]
    assert api.get("/api/similar/00000000-0000-0000-0000-000000000000").status_code == 404
    braced = api.get(f"/api/similar/{{{cat.upper()}}}", params={"limit": 10}).json()  # any UUID spelling
    assert braced["query"]["id"] == cat and len(braced["hits"]) == 4


def test_image_bytes_only_for_indexed_ids(api, assets):
    cat = image_id(api, "cat.jpg")
    original = api.get(f"/api/image/{cat}")
    assert original.status_code == 200 and original.content == (assets / "cat.jpg").read_bytes()
    thumb = api.get(f"/api/thumb/{cat}", params={"size": 128})
    assert thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 128
    assert api.get(f"/api/thumb/{cat}", params={"size": 4000}).status_code == 422


@pytest.mark.parametrize("path", [
    "/api/image/../../../../etc/passwd",
    "/api/image/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/api/image/%2Fetc%2Fpasswd",
    "/api/thumb/..%2f..%2fpyproject.toml",
    "/api/image/%2e%2e/%2e%2e/etc/passwd",
    "/static/../../../etc/passwd",
    "/static/..%2F..%2Fapp.py",
    "/api/image/00000000-0000-0000-0000-000000000000",
])
def test_traversal_attempts_are_refused(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.content and b"def create_app" not in response.content


def test_passage_ids_serve_no_bytes(api):
    hits = api.get("/api/search", params={"q": "rocket", "kinds": "text"}).json()["hits"]
    assert hits and api.get(f"/api/image/{hits[0]['id']}").status_code == 404


def test_oversized_uploads_are_refused(api, assets):
    big = b"\xff" * (LIMIT + 1)
    response = api.post("/api/search/image", files={"file": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunked():  # no Content-Length: counted while streaming
        for _ in range(LIMIT // 10_000 + 2):
            yield b"x" * 10_000

    response = api.post("/api/search/image", content=chunked(), headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413
    small = api.post("/api/search/image", files={"file": ("cat.jpg", jpeg_bytes(assets / "cat.jpg"), "image/jpeg")})
    assert small.status_code == 200  # under the limit still works


def test_api_key_enforced_when_set(index):
    locked = client(index, api_key="s3cret")
    assert locked.get("/api/health").status_code == 200  # health stays open for probes
    assert locked.get("/").status_code == 200
    assert locked.get("/api/search", params={"q": "cat"}).status_code == 401
    assert locked.get("/api/search", params={"q": "cat"}, headers={"X-API-Key": "wrong"}).status_code == 401
    assert locked.get("/api/search", params={"q": "cat"}, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert locked.get("/api/search", params={"q": "cat"}, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    cat = image_id(client(index), "cat.jpg")
    for path in (f"/api/image/{cat}", f"/api/thumb/{cat}", f"/api/similar/{cat}", f"/api/items/{cat}"):
        assert locked.get(path).status_code == 401
    assert locked.post("/api/rag", json={"question": "cat?"}).status_code == 401


def test_rag_endpoint_without_and_with_generator(index, fake_llm):  # noqa: F811
    data = client(index).post("/api/rag", json={"question": "how do rockets reach orbit?", "limit": 5}).json()
    assert data["answer"] is None and len(data["items"]) == 5
    assert {"question", "fusion", "prompt", "items"} <= set(data)
    assert all(i["thumb_url"] for i in data["items"] if i["kind"] == "image")
    generating = client(index, generator=GeneratorConfig(url=fake_llm, model="fake"))
    answered = generating.post("/api/rag", json={"question": "how do rockets reach orbit?", "max_images": 2}).json()
    assert answered["answer"] == "saw 2 images [1]"
    assert client(index).post("/api/rag", json={"question": ""}).status_code == 422
    assert client(index).post("/api/rag", json={"question": "x", "fusion": "max"}).status_code == 422
    down = client(index, generator=GeneratorConfig(url="http://127.0.0.1:9/v1", model="m", timeout=2))
    assert down.post("/api/rag", json={"question": "x"}).status_code == 502


def test_blank_and_over_long_queries_are_refused_without_echo(api):
    blank = api.get("/api/search", params={"q": "  \t "})
    assert blank.status_code == 422 and "empty" in blank.json()["detail"]
    long = "x" * 5000
    for response in (api.get("/api/search", params={"q": long}), api.post("/api/rag", json={"question": long})):
        assert response.status_code == 422
        assert "5,000 characters" in response.text and long[:100] not in response.text
    invalid = api.post("/api/rag", json={"question": "x", "limit": "y" * 3000})  # pydantic's own errors
    assert invalid.status_code == 422 and "y" * 100 not in invalid.text
    assert invalid.json()["detail"][0]["loc"] == ["body", "limit"]


def test_favicon(api):
    icon = api.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_control_character_queries_are_refused_like_blank_ones(api):
    for q in ("\x00", "\x00\x00\x07 "):
        response = api.get("/api/search", params={"q": q})
        assert response.status_code == 422 and "empty" in response.json()["detail"]
    assert api.post("/api/rag", json={"question": "\x00"}).status_code == 422


def test_image_search_takes_what_search_by_text_takes(api, assets):
    files = {"file": ("cat.jpg", (assets / "cat.jpg").read_bytes(), "image/jpeg")}
    texts = api.post("/api/search/image", files=files, params={"limit": 3, "kinds": "text"}).json()["hits"]
    assert texts and all(h["kind"] == "text" for h in texts)
    wide = api.post("/api/search/image", files=files, params={"limit": 10, "min_score": 0.999}).json()["hits"]
    assert [h["name"] for h in wide] == ["cat.jpg"]  # only the photo itself clears a 0.999 cut-off
    fused = api.post("/api/search/image", files=files, params={"kinds": "image,text", "fusion": "rrf"}).json()["hits"]
    assert all(h["score_kind"] == "fused" and h["explanation"] for h in fused)
    assert api.post("/api/search/image", files=files, params={"after": "yesterday"}).status_code == 422


def test_a_hit_has_one_json_shape_in_the_cli_and_the_api(api, index):
    from mmretrieval.search.hits import hit_json

    http = api.get("/api/search", params={"q": "a rocket", "limit": 3}).json()["hits"]
    python = [hit_json(h, rank, "a rocket") for rank, h in enumerate(index.search(text="a rocket", limit=3), 1)]
    assert [{k: h[k] for k in p} for h, p in zip(http, python)] == python  # the API adds links and the name only
    assert set(http[0]) - set(python[0]) == {"name", "image_url", "thumb_url"}
