"""Near-duplicate groups: Index.duplicates (matrix and store-search paths), the CLI and the API route, on
resized / re-encoded / mirrored copies of the photos in assets/."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from mmretrieval.cli.main import main
from mmretrieval.indexing import Index
from mmretrieval.indexing.duplicates import components, similar_pairs

TINY_THRESHOLD = 0.9  # the tiny model (random adapter): copies measured at 0.93-0.99, different photos <= 0.45


@pytest.fixture(scope="module")
def photos(assets, tmp_path_factory):
    """assets/ plus a half-size copy of cat.jpg, a JPEG q40 copy of rocket.jpg and a mirrored camera.jpg."""
    folder = shutil.copytree(assets, tmp_path_factory.mktemp("dups") / "photos")
    cat = Image.open(folder / "cat.jpg")
    cat.resize((cat.width // 2, cat.height // 2), Image.Resampling.LANCZOS).save(folder / "cat_small.jpg", quality=90)
    Image.open(folder / "rocket.jpg").save(folder / "rocket_q40.jpg", quality=40)
    Image.open(folder / "camera.jpg").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "camera_flip.jpg")
    return folder


EXPECTED = [["camera.jpg", "camera_flip.jpg"], ["cat.jpg", "cat_small.jpg"], ["rocket.jpg", "rocket_q40.jpg"]]


def names(groups):
    return sorted(sorted(h.path.rsplit("/", 1)[1] for h in g.items) for g in groups)


@pytest.mark.parametrize("engine", ["client", "edge"])
def test_copies_grouped_different_photos_not(engine, tiny_model, photos, tmp_path):
    if engine == "edge":
        pytest.importorskip("qdrant_edge")
    with Index.open(path=tmp_path / "store", model=tiny_model, engine=engine) as index:
        index.add_images(photos, show_progress_bar=False)
        groups = index.duplicates(threshold=TINY_THRESHOLD)
        assert names(groups) == EXPECTED
        assert names(index.duplicates(threshold=TINY_THRESHOLD, by_search=True)) == EXPECTED  # a server's path
        cat = next(g for g in groups if "cat.jpg" in {h.path.rsplit("/", 1)[1] for h in g.items})
        assert cat.items[0].path.endswith("/cat.jpg")  # the largest first
        assert cat.similarity >= TINY_THRESHOLD and all(h.score >= TINY_THRESHOLD for h in cat.items)
        with pytest.raises(ValueError, match="no calibrated duplicate threshold"):
            index.duplicates()  # the tiny model has none
        with pytest.raises(ValueError, match="in -1..1"):
            index.duplicates(threshold=1.5)


def test_components_join_chains():
    vectors = np.array([[1, 0], [0.96, 0.28], [0.85, 0.53], [0, 1]], dtype=np.float32)  # 0-1, 1-2 close; 0-2 not
    pairs = list(similar_pairs(vectors, 0.95))
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 2)]
    assert components(pairs) == [([0, 1, 2], pytest.approx(0.96))]


def test_shipped_models_carry_a_duplicate_threshold():
    from mmretrieval.registry import get_model_config

    assert get_model_config("e5-small-lite0").duplicate_threshold == 0.93  # eval/results/duplicates_*.json
    assert get_model_config("minilm-l6-lite0").duplicate_threshold == 0.92


def test_default_threshold_on_the_shipped_model(photos):
    from mmretrieval import DEFAULT_MODEL, list_pretrained

    if DEFAULT_MODEL not in list_pretrained():
        pytest.skip(f"the default model's weights ({DEFAULT_MODEL}) are not in mmretrieval/pretrained/")
    with Index.open(path=":memory:") as index:
        index.add_images(photos, show_progress_bar=False)
        assert names(index.duplicates()) == EXPECTED


def test_cli_and_api_route(tiny_model, photos, tmp_path, capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    store = ["--store", str(tmp_path / "q"), "--model", str(model_dir)]
    assert main(["index", str(photos), "--no-progress", *store]) == 0
    capsys.readouterr()
    assert main(["duplicates", "--threshold", str(TINY_THRESHOLD), "--json", *store]) == 0
    groups = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(sorted(i["path"].rsplit("/", 1)[1] for i in g["items"]) for g in groups) == EXPECTED
    assert [g["group"] for g in groups] == [1, 2, 3] and all(g["size"] == 2 for g in groups)
    assert main(["duplicates", "--threshold", str(TINY_THRESHOLD), *store]) == 0
    out = capsys.readouterr().out
    assert "group 1: 2 photos" in out and "3 groups, 3 photos beyond the first of each" in out
    assert main(["duplicates", *store]) == 2
    assert "no calibrated duplicate threshold" in capsys.readouterr().err
    assert main(["duplicates", "--store", str(tmp_path / "none")]) == 2

    pytest.importorskip("fastapi", reason="the server needs the serve extra")
    from fastapi.testclient import TestClient

    from mmretrieval.server import ServerSettings, create_app

    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(photos, show_progress_bar=False)
        api = TestClient(create_app(index, ServerSettings()))
        answer = api.get("/api/duplicates", params={"threshold": TINY_THRESHOLD}).json()
        assert answer["threshold"] == TINY_THRESHOLD
        assert sorted(sorted(i["name"] for i in g["items"]) for g in answer["groups"]) == EXPECTED
        assert all(i["thumb_url"].startswith("/api/thumb/") for g in answer["groups"] for i in g["items"])
        assert api.get("/api/duplicates").status_code == 422  # no threshold, none calibrated: says so
        assert api.get("/api/duplicates", params={"threshold": 3}).status_code == 422


def test_in_another_tools_collection_only_mmretrievals_photos_are_grouped(tiny_model, photos):
    from qdrant_client import QdrantClient

    from test_attach import VECTOR, make_foreign

    client = QdrantClient(":memory:")
    make_foreign(client, tiny_model, "plain")  # its points say kind "image" too, and are not ours
    with Index.open(client=client, collection="docs", vector=VECTOR["plain"], model=tiny_model) as index:
        index.add_images(photos, show_progress_bar=False)
        assert names(index.duplicates(threshold=TINY_THRESHOLD)) == EXPECTED
        assert names(index.duplicates(threshold=TINY_THRESHOLD, by_search=True)) == EXPECTED
