"""``mmretrieval collections`` (list with model, points, size; delete) and clear store errors."""

import json

import pytest

from mmretrieval.cli.main import main


def test_list_and_delete_collections(tiny_model, assets, tmp_path, capsys):
    model = str(tiny_model.save(tmp_path / "model"))
    store = ["--store", str(tmp_path / "q")]
    assert main(["collections", *store]) == 2  # nothing there yet
    assert "does not exist: nothing is indexed" in capsys.readouterr().err and not (tmp_path / "q").exists()
    for name in ("photos", "more"):
        assert main(["index", str(assets / "cat.jpg"), "--no-progress", "--collection", name, "--model", model,
                     *store]) == 0
    capsys.readouterr()
    assert main(["collections", *store]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["collection", "model", "points", "size"]
    assert [row.split()[:3] for row in table[1:]] == [["more", "tiny", "1"], ["photos", "tiny", "1"]]
    assert main(["collections", "--json", *store]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["bytes"] > 0 for r in rows)

    assert main(["collections", "--delete", "more", *store]) == 2  # not a terminal: needs --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["collections", "--delete", "more", "--yes", *store]) == 0
    assert "deleted collection 'more'" in capsys.readouterr().out
    assert main(["collections", "--json", *store]) == 0
    assert [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()] == ["photos"]
    assert main(["collections", "--delete", "nope", "--yes", *store]) == 2
    assert "no collection 'nope'" in capsys.readouterr().err


def test_store_errors_are_clear_and_reads_create_nothing(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["search", "a cat", "--store", str(afile)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["index", "assets", "--store", str(afile)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    for command in (["search", "a cat"], ["rag", "a question"]):
        assert main([*command, "--store", str(tmp_path / "new")]) == 2
        assert "does not exist: nothing is indexed" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_store_is_opened_by_the_engine_that_made_it(tiny_model, assets, tmp_path, capsys):
    pytest.importorskip("qdrant_edge", reason="engine 'edge' needs qdrant-edge-py (the edge extra)")
    model = str(tiny_model.save(tmp_path / "model"))
    store = ["--store", str(tmp_path / "q")]
    assert main(["index", str(assets / "cat.jpg"), "--no-progress", "--engine", "edge", "--model", model, *store]) == 0
    capsys.readouterr()
    assert main(["collections", "--json", *store]) == 0  # no --engine: the folder says edge
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["model"], r["points"]) for r in rows] == [("mmretrieval", "tiny", 1)]
    assert main(["search", "a cat", "--json", "--min-score", "0", "--model", model, *store]) == 0
    assert "cat.jpg" in capsys.readouterr().out
    assert main(["search", "a cat", "--engine", "client", "--model", model, *store]) == 2
    err = capsys.readouterr().err
    assert "was made by engine 'edge'" in err and "--engine edge" in err
    from mmretrieval.store import open_store

    with open_store(tmp_path / "q") as opened:
        assert opened.engine == "edge" and opened.count() == 1


def test_sizes_are_the_blocks_on_disk_not_the_apparent_size(tmp_path):
    """A sparse file (edge preallocates its segments so) counts what it takes on disk."""
    from mmretrieval.store.backends.base import folder_bytes

    folder = tmp_path / "collection"
    folder.mkdir()
    with open(folder / "segment", "wb") as sparse:
        sparse.truncate(256 * 2**20)
    (folder / "data").write_bytes(b"x" * 100_000)
    assert 100_000 <= folder_bytes(folder) < 2**20
