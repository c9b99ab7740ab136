"""Property-based fuzz of the HTTP API from its own OpenAPI schema (schemathesis), against the real app
served by uvicorn on loopback: no 500, every answer matches the schema, and the server still answers.

Bounded: ``EXAMPLES`` generated cases per operation (plus schemathesis' explicit ones), no shrinking.
"""

import time

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="the fuzz needs the test extra: pip install -e '.[test]'")
from hypothesis import HealthCheck, Phase, given, settings, strategies  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,  # noqa: E402
                                               response_schema_conformance, status_code_conformance)

from live_server import live_server  # noqa: E402
from mmretrieval.indexing import Index  # noqa: E402

EXAMPLES = 30
# No 5xx, and status, content type, headers and body as documented. Not positive_data_acceptance: the schema
# cannot say all a request must be (a blank query, a date filter that is no date: 422, rightly).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
SENT = {}  # requests sent per operation, and the seconds they took


@pytest.fixture(scope="module")
def served(tiny_model, assets, tmp_path_factory):
    docs = tmp_path_factory.mktemp("fuzz-docs")
    (docs / "space.md").write_text("# Rockets\n\nA rocket burns fuel to reach orbit. " * 20)
    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
        index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
        base, stop = live_server(index, max_upload_bytes=200_000)
        yield base
        stop()


def test_every_answer_matches_the_schema_and_none_is_a_500(served):
    """Each operation of the schema the server publishes gets ``EXAMPLES`` generated requests, valid and
    invalid by the schema, each answer put through ``CHECKS``."""
    schema = schemathesis.openapi.from_url(served + "/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    start = time.perf_counter()
    for operation in operations:

        @given(case=strategies.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                      operation.as_strategy(GenerationMode.NEGATIVE)))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def fuzz(case):
            SENT[operation.label] = SENT.get(operation.label, 0) + 1
            case.call_and_validate(checks=CHECKS)

        fuzz()
    SENT["seconds"] = time.perf_counter() - start


def test_the_server_still_answers_after_the_fuzz(served):
    import httpx

    health = httpx.get(served + "/api/health", timeout=10)
    assert health.status_code == 200 and health.json()["points"] > 5
    search = httpx.get(served + "/api/search", params={"q": "a rocket", "limit": 3}, timeout=30)
    assert search.status_code == 200 and len(search.json()["hits"]) == 3
    sent = {label: n for label, n in SENT.items() if label != "seconds"}
    print(f"\nschemathesis sent {sum(sent.values())} requests in {SENT['seconds']:.1f} s: {sent}")
    assert len(sent) >= 9 and sorted(sent.values())[1] >= 10  # every operation fuzzed (health has no parameters)
