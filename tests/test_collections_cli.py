"""``mmretrieval collections`` (list with model, points, size; delete) and clear store errors."""

import json

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
