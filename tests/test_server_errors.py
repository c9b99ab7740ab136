"""HTTP API error answers: what was too large and the limit, no silent RAG answer, duplicate thresholds
in range, a malformed multipart body answered 400 and logged with its request."""

import asyncio
import json
import logging

import pytest

pytest.importorskip("fastapi", reason="the server needs the serve extra: pip install -e '.[serve]'")

from mmretrieval.rag.generate import GeneratorConfig  # noqa: E402
from mmretrieval.server.limits import BodySizeLimit  # noqa: E402
from test_rag_bundle import fake_llm  # noqa: E402,F401
from test_server import LIMIT, api, client, index  # noqa: E402,F401  (the app over a tiny model)


def test_413_says_what_was_too_large_and_the_limit(api):  # noqa: F811
    big = api.post("/api/rag", json={"question": "x" * (LIMIT + 10)})
    detail = big.json()["detail"]
    assert big.status_code == 413 and detail.startswith("JSON body of ")
    assert "200,000 bytes" in detail and "image" not in detail and "--max-upload-mb" in detail
    upload = api.post("/api/search/image", files={"file": ("big.jpg", b"\xff" * (LIMIT + 1), "image/jpeg")})
    assert upload.status_code == 413 and upload.json()["detail"].startswith("upload of ")
    assert "smaller image" in upload.json()["detail"]

    def chunked():  # no Content-Length: the size is known only as "over the limit"
        for _ in range(LIMIT // 10_000 + 2):
            yield b"x" * 10_000

    streamed = api.post("/api/rag", content=chunked(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and "JSON body of over 200,000 bytes" in streamed.json()["detail"]


def test_a_content_length_that_is_no_number_is_a_400():
    sent = []

    async def app(scope, receive, send):  # never reached
        raise AssertionError("the app got a request with a bad Content-Length")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"12x")]}
    asyncio.run(BodySizeLimit(app, max_bytes=100)(scope, None, send))
    assert sent[0]["status"] == 400
    assert "Content-Length header is not a number" in json.loads(sent[1]["body"])["detail"]


def test_rag_says_why_there_is_no_answer(index, fake_llm):  # noqa: F811
    question = {"question": "how do rockets reach orbit?", "limit": 3}
    plain = client(index).post("/api/rag", json={**question, "generate": True}).json()
    assert plain["answer"] is None and "no generator is configured" in plain["note"] and "--llm-url" in plain["note"]
    unasked = client(index).post("/api/rag", json={**question, "generate": False}).json()
    assert unasked["answer"] is None and "generate: false" in unasked["note"]
    answered = client(index, generator=GeneratorConfig(url=fake_llm, model="fake")).post("/api/rag", json=question)
    assert answered.json()["answer"] and answered.json()["note"] is None


@pytest.mark.parametrize("threshold", [-1, 0, 0.49, 1.01])
def test_duplicate_thresholds_out_of_range_are_refused(api, threshold):  # noqa: F811
    response = api.get("/api/duplicates", params={"threshold": threshold})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "threshold"]


def test_duplicate_threshold_at_its_least_is_answered(api):  # noqa: F811
    assert api.get("/api/duplicates", params={"threshold": 0.5}).status_code == 200


def test_a_malformed_multipart_body_is_a_400_logged_with_its_request(api, caplog):  # noqa: F811
    body = b'--XyZ\r\nContent Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nabc\r\n--XyZ--\r\n'
    with caplog.at_level(logging.INFO):
        response = api.post("/api/search/image", content=body,
                            headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("the multipart body is malformed (Found invalid character 32 in header")
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == ["malformed multipart body: POST /api/search/image from testclient:50000: "
                     "Found invalid character 32 in header at 14"]  # (the parser's line, alone, is gone)
    assert api.get("/api/health").status_code == 200
