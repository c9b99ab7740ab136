"""OCR at index time (``index --ocr``): the engine reads rendered text, a query for it finds the image
first among assets/, and a missing engine, an old collection or a failed read never stops a run."""

import shutil
import sys

import pytest
from PIL import Image, ImageDraw, ImageFont

from mmretrieval.store import payload as P
from mmretrieval.indexing import Index
from mmretrieval.store import IMAGE, SMALL, TEXT

pytest.importorskip("rapidocr")
SIGN_TEXT = ("PLATFORM 9 CLOSED", "TRAINS TO EDINBURGH", "LEAVE FROM PLATFORM 4")


def render_sign(path) -> None:
    """Three lines of text drawn with Pillow's built-in font on a sign-like plate."""
    image = Image.new("RGB", (640, 360), (30, 70, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 40, 610, 320), fill=(245, 240, 225))
    font = ImageFont.load_default(40)
    for i, line in enumerate(SIGN_TEXT):
        draw.text((60, 80 + 75 * i), line, font=font, fill=(20, 20, 20))
    image.save(path, quality=90)


@pytest.fixture(scope="module")
def photos(tmp_path_factory, assets):
    folder = tmp_path_factory.mktemp("photos")
    for photo in assets.glob("*.jpg"):
        shutil.copy(photo, folder / photo.name)
    render_sign(folder / "sign.jpg")
    Image.new("RGB", (200, 150), (120, 160, 90)).save(folder / "blank.jpg")  # no text at all
    return folder


@pytest.fixture(scope="module")
def ocr_index(photos, tmp_path_factory):
    from mmretrieval import load_model

    index = Index.open(path=tmp_path_factory.mktemp("store"), model=load_model(device="cpu"))
    report = index.add_images([str(photos)], ocr=True, show_progress_bar=False)
    yield index, report
    index.close()


def test_engine_reads_rendered_words(photos):
    from mmretrieval.indexing.ocr import load_engine

    result = load_engine().read(Image.open(photos / "sign.jpg"))
    assert result.error is None
    read = result.text.upper()
    for line in SIGN_TEXT:
        for word in line.split():
            assert word in read
    assert all(len(line.box) == 4 and 0.5 <= line.score <= 1 for line in result.lines)


def test_index_stores_text_and_query_finds_the_sign_first(ocr_index, photos):
    index, report = ocr_index
    assert report.added == 7 and report.ocr_text >= 1
    assert str(photos / "blank.jpg") in report.ocr_no_text
    assert "no text found in" in report.summary()
    assert index.store.ocr_record()["engine"].startswith("rapidocr ")
    hits = index.search(text="trains to Edinburgh leave from platform 4", limit=3)
    assert hits[0].path == str(photos / "sign.jpg")
    assert "EDINBURGH" in hits[0].payload[P.OCR_TEXT].upper()
    assert [e["list"] for e in hits[0].explanation] == ["image", "ocr"]
    blank = next(r for r in index.store.scroll({P.PATH: str(photos / "blank.jpg")}))
    assert blank.payload[P.OCR_TEXT] == "" and blank.payload[P.OCR_LINES] == []


def test_a_cut_off_keeps_the_sign_found_by_its_text(ocr_index, photos):
    """Under a relevance cut-off no photo clears by its pixels, the sign still counts by the text read in it."""
    index, _ = ocr_index
    hits = index.search(text="trains to Edinburgh leave from platform 4", limit=5, min_score=0.99)
    assert [h.path for h in hits] == [str(photos / "sign.jpg")]
    assert [e["list"] for e in hits[0].explanation] == ["ocr"]


def test_photos_without_text_still_rank_by_their_pixels(ocr_index, photos):
    index, _ = ocr_index
    for query, name in (("a cat lying on a couch", "cat"), ("a rocket launching into the sky", "rocket")):
        assert index.search(text=query, limit=1)[0].path == str(photos / f"{name}.jpg")


def test_rerun_with_ocr_reads_images_indexed_without_it(photos, tmp_path, tiny_model):
    with Index.open(path=tmp_path / "store", model=tiny_model) as index:
        index.add_images([str(photos / "sign.jpg")], show_progress_bar=False)
        assert index.store.ocr_record() is None
        report = index.add_images([str(photos / "sign.jpg")], ocr=True, show_progress_bar=False)
        assert report.updated + report.unchanged == 1 and report.ocr_text == 1
        assert "PLATFORM" in next(index.store.scroll({P.KIND: "image"})).payload[P.OCR_TEXT].upper()
        again = index.add_images([str(photos / "sign.jpg")], ocr=True, show_progress_bar=False)
        assert again.unchanged == 1 and again.ocr_text == 0  # read once, not again


def test_missing_engine_says_which_extra_and_indexes_anyway(photos, tmp_path, tiny_model, monkeypatch):
    from mmretrieval.indexing import ocr

    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import rapidocr -> ImportError
    monkeypatch.setattr(ocr, "_shared", {})
    with Index.open(path=tmp_path / "store", model=tiny_model) as index:
        report = index.add_images([str(photos / "sign.jpg")], ocr=True, show_progress_bar=False)
        assert report.added == 1
        assert 'pip install "mmretrieval[ocr]"' in report.summary() and "--ocr skipped" in report.summary()
        assert P.OCR_TEXT not in next(index.store.scroll({P.KIND: "image"})).payload


def test_a_failed_read_is_listed_and_the_image_indexed(photos, tmp_path, tiny_model, monkeypatch):
    from mmretrieval.indexing import ocr

    engine = ocr.load_engine()
    monkeypatch.setattr(engine, "_engine", lambda pixels: 1 / 0)
    with Index.open(path=tmp_path / "store", model=tiny_model) as index:
        report = index.add_images([str(photos / "sign.jpg")], ocr=True, show_progress_bar=False)
        assert report.added == 1 and report.ocr_failed[0][1].startswith("OCR failed (ZeroDivisionError")
        assert "OCR failed on" in report.summary()


def test_collection_made_before_ocr_vectors_keeps_working(photos, tmp_path, tiny_model):
    from mmretrieval.indexing.target import info_of

    with Index.open(path=tmp_path / "store", model=tiny_model) as index:
        info = info_of(tiny_model)  # the vectors a collection had before OCR came
        index.store.backend.create({IMAGE: info.dim, TEXT: info.dim, SMALL: info.small_dim}, "mmretrieval",
                                   {"model": info.model, "dim": info.dim, "small_dim": info.small_dim,
                                    "fingerprint": info.fingerprint})
        report = index.add_images([str(photos / "sign.jpg")], ocr=True, show_progress_bar=False)
        assert report.added == 1 and "made before OCR vectors" in report.summary()
        assert index.search(text="platform", limit=1)[0].path == str(photos / "sign.jpg")


def test_cli_and_api_show_the_matched_words(ocr_index, photos, capsys):
    from mmretrieval.cli.search import _print_hits

    index, _ = ocr_index
    query = "leave from platform 4"
    hits = index.search(text=query, limit=2)
    _print_hits(hits, as_json=False, label=None, query=query)
    shown = next(line for line in capsys.readouterr().out.splitlines() if "text in image:" in line).upper()
    assert "LEAVE FROM PLATFORM 4" in shown and "EDINBURGH" not in shown  # the lines sharing a query word
    fastapi = pytest.importorskip("fastapi")  # noqa: F841
    from fastapi.testclient import TestClient

    from mmretrieval.server import ServerSettings, create_app

    api = TestClient(create_app(index, ServerSettings()))
    top = api.get("/api/search", params={"q": query, "limit": 3}).json()["hits"][0]
    assert top["name"] == "sign.jpg" and "PLATFORM" in top["ocr_text"].upper()
    words = [w.lower() for m in top["ocr_matches"] for w in m["words"]]
    assert set(words) == {"leave", "platform", "4"} and len(top["ocr_matches"][0]["box"]) == 4
    assert [e["list"] for e in top["explanation"]] == ["image", "ocr"]


def test_edge_engine_records_ocr_and_fuses(photos, tmp_path, tiny_model):
    pytest.importorskip("qdrant_edge")
    with Index.open(path=tmp_path / "store", model=tiny_model, engine="edge") as index:
        report = index.add_images([str(photos / "sign.jpg"), str(photos / "blank.jpg")], ocr=True, show_progress_bar=False)
        assert report.ocr_text == 1 and index.store.has_vector("ocr")
        assert index.store.ocr_record()["engine"].startswith("rapidocr ")
        hits = index.search(text="platform", limit=2)
        assert {e["list"] for h in hits for e in h.explanation} <= {"image", "ocr"}
    with Index.open(path=tmp_path / "store", model=tiny_model, engine="edge") as index:  # the record persists
        assert index.store.ocr_record() is not None and index.count("image") == 2
