"""What the commands tell a user: passages with offsets, over-long and blank queries, unknown filter
fields, files a scan passes over, and `demo` skipping bad files."""

import json
import re
import shutil
import warnings

import pytest

from mmretrieval.cli.main import main
from mmretrieval.search.query import MAX_QUERY_CHARS, check_query


@pytest.fixture(scope="module")
def library(tiny_model, assets, tmp_path_factory):
    root = tmp_path_factory.mktemp("output")
    folder = shutil.copytree(assets, root / "library")
    (folder / "launch.md").write_text("# Launch day\n\nThe rocket lifts off at dawn and reaches orbit. " * 8)
    (folder / "IMG_0001.cr2").write_bytes(b"II*\x00\x10\x00\x00\x00CR")  # camera raw: Pillow opens none
    (folder / "IMG_0002.CR2").write_bytes(b"II*\x00\x10\x00\x00\x00CR")
    (folder / "archive.zip").write_bytes(b"PK\x03\x04")
    (folder / "cat.caption").write_text("a cat on a couch")  # a sidecar: used, not passed over
    model = str(tiny_model.save(root / "model"))
    store = ["--store", str(root / "store"), "--model", model]
    index = ["index", str(folder), "--no-progress", "--passage-tokens", "40", "--passage-overlap", "8", *store]
    return folder, store, index


@pytest.fixture(scope="module")
def indexed(library):
    """The library indexed once; the index command's output."""
    import contextlib
    import io

    folder, store, index = library
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(index) == 0
    return folder, store, out.getvalue()


def test_index_lists_what_a_scan_passes_over(indexed):
    folder, _, out = indexed
    assert "passed over 3 files that are neither images nor text documents (.cr2 x2, .zip x1)" in out
    assert str(folder / "IMG_0001.cr2") in out and str(folder / "archive.zip") in out
    assert "cat.caption" not in out and "launch.md" not in out.split("passed over")[1]


def test_a_rerun_shows_no_empty_bars_and_json_lists_every_file_passed_over(indexed, capsys, monkeypatch):
    from mmretrieval.cli import index as index_command

    folder, store, _ = indexed
    monkeypatch.setattr(index_command, "SHOWN_PASSED_OVER", 2)
    rerun = ["index", str(folder), "--passage-tokens", "40", "--passage-overlap", "8", *store]  # progress bars on
    assert main(rerun) == 0
    captured = capsys.readouterr()
    assert "unchanged 5" in captured.out and "documents: added 0, updated 0, unchanged 1" in captured.out
    assert "indexing" not in captured.err and "documents" not in captured.err  # nothing to do: no bar (empty ones before)
    assert "  ... and 1 more (--json lists them all)" in captured.out
    assert main([*rerun, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed_over"] == sorted(str(folder / name) for name in ("IMG_0001.cr2", "IMG_0002.CR2", "archive.zip"))
    assert report["images"]["unchanged"] == 5 and report["documents"]["unchanged"] == 1 and report["points"] > 5


def test_bars_show_the_work_once(tiny_model, assets, tmp_path, capsys):
    folder = shutil.copytree(assets, tmp_path / "photos")
    (folder / "notes.md").write_text("# Notes\n\nA rocket on the pad.\n")
    store = ["--store", str(tmp_path / "store"), "--model", str(tiny_model.save(tmp_path / "model"))]
    assert main(["index", str(folder), *store]) == 0
    err = capsys.readouterr().err
    assert "indexing: 100%" in err and "5/5" in err and "documents: 100%" in err and "1/1" in err
    assert not re.search(r"(?<![\d.])0(doc|img) ", err)  # no empty bar ("0doc [00:00, ?doc/s]"); "8.90doc/s" is a rate


def test_text_hits_show_the_passage_and_its_offsets(indexed, capsys):
    folder, store, _ = indexed
    assert main(["search", "when does the rocket lift off", "--kinds", "text", "--limit", "3", *store]) == 0
    lines = capsys.readouterr().out.splitlines()
    passages = [line for line in lines if "launch.md [" in line]
    assert passages and all('"' in line and "rocket" in line.lower() for line in passages)
    assert all(line.count(str(folder / "launch.md")) == 1 for line in passages)  # the path once


def test_unknown_filter_field_warns(indexed, capsys):
    _, store, _ = indexed
    with pytest.warns(UserWarning, match=r"'colour' is not in the payload schema \(fields: .*width"):
        assert main(["search", "a cat", "--filter", "colour=red", *store]) == 0
    assert "no hits" in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # known fields stay quiet
        assert main(["search", "a cat", "--filter", "width>=1", "--json", *store]) == 0


def test_queries_over_the_limit_or_blank_are_refused_alike(indexed, capsys):
    _, store, _ = indexed
    assert main(["search", "x" * 5000, *store]) == 2
    err = capsys.readouterr().err
    assert "5,000 characters" in err and f"{MAX_QUERY_CHARS:,}" in err and "x" * 100 not in err
    assert main(["rag", "x" * 5000, *store]) == 2
    assert "5,000 characters" in capsys.readouterr().err
    assert check_query("  a cat  ") == "a cat"
    with pytest.raises(ValueError, match="empty"):
        check_query(" \t ")


def test_demo_skips_bad_files_like_index(tiny_model, assets, tmp_path, capsys):
    folder = shutil.copytree(assets, tmp_path / "photos")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    model = str(tiny_model.save(tmp_path / "model"))
    assert main(["demo", str(folder), "--model", model]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 5 and "broken.jpg" not in captured.out
    assert f"skipped {folder / 'broken.jpg'}" in captured.err


def test_demo_has_a_caption_for_every_sample_photo(assets):
    from mmretrieval.cli.demo import DEFAULT_CAPTIONS

    photos = sorted(p.stem for p in assets.iterdir())
    assert len(DEFAULT_CAPTIONS) > len(photos)  # one each, plus a distractor
    assert all(any(stem in caption for caption in DEFAULT_CAPTIONS) for stem in photos), photos
