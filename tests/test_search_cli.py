"""`mmretrieval index` + `mmretrieval search` end to end (in-process), and the README's demo queries."""

import json
import shutil

import pytest

from mmretrieval.cli.main import main
from mmretrieval.cli.search import parse_filters


def test_parse_filters():
    assert parse_filters(["width>=800", "width<2000", "kind=image", "n=3"]) == {
        "width": {"gte": 800, "lt": 2000}, "kind": "image", "n": 3}
    assert parse_filters([]) is None
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        parse_filters(["width"])
    with pytest.raises(ValueError, match="needs a number"):
        parse_filters(["kind>=image"])


def test_index_then_search_cli(tiny_model, tmp_path, assets, capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    photos = shutil.copytree(assets, tmp_path / "photos")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    store = ["--store", str(tmp_path / "q"), "--model", str(model_dir)]
    assert main(["index", str(photos), "--no-progress", *store]) == 0
    out = capsys.readouterr().out
    assert "added 5" in out and "skipped 1" in out and "broken.jpg" in out

    assert main(["search", "--image", str(photos / "cat.jpg"), "--json", "--limit", "3", "--dim", "16", *store]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert hits[0]["path"] == str(photos / "cat.jpg") and [h["rank"] for h in hits] == [1, 2, 3]
    assert main(["search", "anything", "--filter", "width>=500", "--json", *store]) == 0
    wide = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert wide and all(h["width"] >= 500 for h in wide)
    assert main(["search", "--collection", "other", "x", *store]) == 2
    assert "does not exist" in capsys.readouterr().err


README_QUERIES = [("a cat lying on a couch", "cat.jpg"), ("a rocket launching into the sky", "rocket.jpg"),
                  ("a man with a camera on a tripod", "camera.jpg")]


def test_readme_main_command_finds_the_right_photos(tmp_path, assets, capsys):
    """The README's main command (`index assets` then `search` with its queries) on the shipped default."""
    from mmretrieval import DEFAULT_MODEL, list_pretrained

    if DEFAULT_MODEL not in list_pretrained():
        pytest.skip(f"the default model's weights ({DEFAULT_MODEL}) are not in mmretrieval/pretrained/ yet")
    store = ["--store", str(tmp_path / "q")]
    assert main(["index", str(assets), "--no-progress", *store]) == 0
    capsys.readouterr()
    queries = [query for query, _ in README_QUERIES]
    assert main(["search", *queries, "--limit", "1", "--json", *store]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(h["query"], h["path"].rsplit("/", 1)[-1]) for h in hits] == README_QUERIES


def test_search_refuses_empty_or_missing_queries(tmp_path, capsys):
    assert main(["search", "  ", "--store", str(tmp_path / "q")]) == 2
    assert "query is empty" in capsys.readouterr().err
    assert main(["search", "--store", str(tmp_path / "q")]) == 2
    assert "give text queries or --image" in capsys.readouterr().err


def test_the_demo_folder_holds_photos_only(assets):
    """`mmretrieval index assets` (the README's main command) must not index a licence table as a document."""
    from mmretrieval.images import is_image_file
    from mmretrieval.indexing.files import walk

    found = walk([assets])
    assert found.documents == [] and found.passed_over == []
    assert found.images == sorted(str(p) for p in assets.iterdir())
    assert all(is_image_file(p.name) for p in assets.iterdir())
