"""EXIF in the payload (date taken, camera, GPS place, orientation) and the photo filters on it:
API (both embedded engines), CLI and the HTTP route; garbled EXIF; collections indexed before EXIF was read."""

import json

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from mmretrieval.cli.main import main
from mmretrieval.indexing import Index
from mmretrieval.store.photo_filters import parse_near, photo_filter
from mmretrieval.indexing.photo_meta import read_photo_metadata
from mmretrieval.store import Point, VectorStore

R = TiffImagePlugin.IFDRational
SYDNEY, NEW_YORK = (-33.8568, 151.2153), (40.7484, -73.9857)


def exif_of(taken=None, offset=None, make=None, model=None, gps=None, orientation=None, datetime=None) -> Image.Exif:
    """An Exif block: ``gps`` as (lat, lon) decimal degrees, written as rationals with N/S, E/W refs."""
    exif = Image.Exif()
    for tag, value in ((0x010F, make), (0x0110, model), (0x0112, orientation), (0x0132, datetime)):
        if value is not None:
            exif[tag] = value
    ifd = exif.get_ifd(0x8769)
    if taken is not None:
        ifd[0x9003] = taken
    if offset is not None:
        ifd[0x9011] = offset
    if gps is not None:
        block = exif.get_ifd(0x8825)
        for ref_tag, tag, value, refs in ((1, 2, gps[0], "NS"), (3, 4, gps[1], "EW")):
            degrees, rest = divmod(abs(value) * 3600, 3600)
            minutes, seconds = divmod(rest, 60)
            block[ref_tag] = refs[value < 0]
            block[tag] = (R(int(degrees), 1), R(int(minutes), 1), R(round(seconds * 1000), 1000))
    return exif


def write_jpeg(path, exif=None, color=(200, 30, 30), size=(40, 30)):
    Image.new("RGB", size, color).save(path, "JPEG", **({"exif": exif} if exif is not None else {}))
    return path


def garbled_exif() -> bytes:
    """An EXIF block with a date that is no date, a blank make, a latitude of 123 degrees and a 0/0 longitude."""
    exif = exif_of(taken="not a date at all", make="\x00\x00", orientation=99)
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (R(123, 1), R(0, 1), R(0, 1)), "E", (R(0, 0), R(0, 0), R(0, 0))
    return exif.tobytes()


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    write_jpeg(folder / "sydney.jpg", exif_of("2024:05:01 10:20:30", "+10:00", "Canon", "Canon EOS 5D", SYDNEY, 6))
    write_jpeg(folder / "newyork.jpg", exif_of("2023:01:15 08:00:00", None, "NIKON CORPORATION ", "NIKON D750",
                                               NEW_YORK, 1), color=(30, 200, 30))
    write_jpeg(folder / "plain.jpg", None, color=(30, 30, 200))
    write_jpeg(folder / "garbled.jpg", garbled_exif(), color=(200, 200, 30))
    write_jpeg(folder / "truncated.jpg", exif_of("2024:05:01 10:20:30").tobytes()[:20], color=(90, 90, 90))
    return folder


def read(folder, name):
    return read_photo_metadata((folder / name).read_bytes())


def test_exif_fields_read_from_the_file(photos):
    sydney = read(photos, "sydney.jpg")
    place = pytest.approx({"lat": SYDNEY[0], "lon": SYDNEY[1]}, abs=1e-5)
    assert sydney == {"taken": "2024-05-01T10:20:30+10:00", "taken_source": "exif", "camera_make": "Canon",
                      "camera_model": "Canon EOS 5D", "camera": "Canon EOS 5D", "location": place, "orientation": 6}
    newyork = read(photos, "newyork.jpg")
    assert newyork["camera"] == "NIKON CORPORATION NIKON D750" and newyork["taken"] == "2023-01-15T08:00:00"
    assert newyork["location"] == pytest.approx({"lat": NEW_YORK[0], "lon": NEW_YORK[1]}, abs=1e-5)  # W: negative
    assert read(photos, "plain.jpg") == {}
    assert read(photos, "garbled.jpg") == {}  # each garbled tag left out, nothing raised
    assert read(photos, "truncated.jpg") == {}


def test_datetime_fallback_and_unset_dates(tmp_path):
    assert read_photo_metadata(write_jpeg(tmp_path / "a.jpg", exif_of(datetime="2019:12:31 23:59:59")).read_bytes()) \
        == {"taken": "2019-12-31T23:59:59", "taken_source": "exif-modified"}
    assert read_photo_metadata(write_jpeg(tmp_path / "b.jpg", exif_of(taken="0000:00:00 00:00:00")).read_bytes()) == {}
    assert read_photo_metadata(b"not an image") == {}


def test_index_payload_and_api_filters(engine, tiny_model, photos, tmp_path):
    with Index(VectorStore(tmp_path / "store", engine=engine), tiny_model) as index:
        report = index.add_images([photos], show_progress_bar=False)
        assert (report.added, report.skipped) == (5, [])
        payloads = {r.payload["path"].rsplit("/", 1)[1]: r.payload for r in index.store.scroll({"kind": "image"})}
        assert payloads["sydney.jpg"]["taken"] == "2024-05-01T10:20:30+10:00"
        assert payloads["sydney.jpg"]["orientation"] == 6 and (payloads["sydney.jpg"]["width"],
                                                                payloads["sydney.jpg"]["height"]) == (30, 40)
        assert payloads["newyork.jpg"]["camera_model"] == "NIKON D750"
        for name in ("plain.jpg", "garbled.jpg", "truncated.jpg"):
            assert not {"taken", "camera", "location", "orientation"} & payloads[name].keys()

        def found(**filters):
            hits = index.search(text="a photo", limit=10, filter=photo_filter(**filters))
            return sorted(h.payload["path"].rsplit("/", 1)[1] for h in hits)

        everything = ["garbled.jpg", "newyork.jpg", "plain.jpg", "sydney.jpg", "truncated.jpg"]
        assert found() == everything  # no filter: photos without EXIF too
        assert found(after="2000-01-01") == ["newyork.jpg", "sydney.jpg"]  # no date: excluded by a date filter
        assert found(after="2024-01-01") == ["sydney.jpg"]
        assert found(before="2024-01-01") == ["newyork.jpg"]
        assert found(after="2023-01-15", before="2023-01-16") == ["newyork.jpg"]
        assert found(camera="eos 5d") == ["sydney.jpg"]
        assert found(camera="Nikon") == ["newyork.jpg"]
        assert found(near=(-33.87, 151.21, 5)) == ["sydney.jpg"]
        assert found(near="40.7,-74.0,10") == ["newyork.jpg"]
        assert found(near="40.7,-74.0,1") == []
        assert found(after="2020-01-01", camera="Canon", near=(-33.8, 151.2, 50)) == ["sydney.jpg"]
        sydney = next(h for h in index.search(text="x", limit=10) if h.payload["path"].endswith("sydney.jpg"))
        similar = index.similar(sydney.id, limit=10, filter=photo_filter(before="2024-01-01"))
        assert [h.payload["path"].rsplit("/", 1)[1] for h in similar] == ["newyork.jpg"]


def test_collection_from_before_exif_gets_it_without_reencoding(engine, tiny_model, photos, tmp_path, monkeypatch):
    from mmretrieval.store import payload as P
    from mmretrieval.indexing import image_source

    with Index(VectorStore(tmp_path / "store", engine=engine), tiny_model) as index:
        index.add_images([photos], show_progress_bar=False)
        old = [Point(str(r.id), r.vector, {k: v for k, v in r.payload.items()
                                           if k not in (*P.PHOTO_FIELDS, P.PHOTO_META)})
               for r in index.store.scroll({"kind": "image"}, with_vectors=True)]
        index.store.delete([p.id for p in old])
        index.store.upsert(old)  # as a run before this change wrote them
        assert index.search(text="x", filter=photo_filter(after="2000-01-01")) == []

        def no_encoding(*args, **kwargs):
            raise AssertionError("unchanged images were encoded again")

        monkeypatch.setattr(image_source, "image_vectors", no_encoding)
        report = index.add_images([photos], show_progress_bar=False)
        assert (report.added, report.updated, report.unchanged, report.removed, report.skipped) == (0, 0, 5, 0, [])
        after = {str(r.id): r for r in index.store.scroll({"kind": "image"}, with_vectors=True)}
        assert after.keys() == {p.id for p in old}
        for point in old:
            np.testing.assert_allclose(np.asarray(after[point.id].vector["image"]), np.asarray(point.vectors["image"]),
                                       atol=1e-5)
            assert after[point.id].payload[P.PHOTO_META] == P.PHOTO_META_VERSION
        assert [h.payload["path"].rsplit("/", 1)[1] for h in
                index.search(text="x", filter=photo_filter(after="2024-01-01"))] == ["sydney.jpg"]
        again = index.add_images([photos], show_progress_bar=False)
        assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


def test_photo_filter_refuses_bad_values():
    with pytest.raises(ValueError, match="is not a date; write YYYY-MM-DD"):
        photo_filter(after="May 1st")
    with pytest.raises(ValueError, match="must be earlier than before"):
        photo_filter(after="2024-02-01", before="2024-01-01")
    with pytest.raises(ValueError, match="not three numbers; write LAT,LON,KM"):
        parse_near("48.8,2.3")
    with pytest.raises(ValueError, match="latitude must be in -90..90"):
        parse_near("98,2.3,5")
    with pytest.raises(ValueError, match="radius must be over 0 km"):
        parse_near("48.8,2.3,0")
    with pytest.raises(ValueError, match="camera is empty"):
        photo_filter(camera="  ")
    assert photo_filter(base={"width": {"gte": 10}}, camera="EOS") == {"width": {"gte": 10}, "camera": {"text": "EOS"}}
    assert photo_filter() is None


def test_cli_photo_filters(tiny_model, photos, tmp_path, capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    store = ["--store", str(tmp_path / "q"), "--model", str(model_dir)]
    assert main(["index", str(photos), "--no-progress", *store]) == 0
    capsys.readouterr()

    def found(*flags):
        assert main(["search", "a photo", "--json", *flags, *store]) == 0
        return sorted(json.loads(line)["path"].rsplit("/", 1)[1] for line in capsys.readouterr().out.splitlines())

    assert found() == ["garbled.jpg", "newyork.jpg", "plain.jpg", "sydney.jpg", "truncated.jpg"]
    assert found("--after", "2024-01-01") == ["sydney.jpg"]
    assert found("--before", "2024-01-01") == ["newyork.jpg"]
    assert found("--camera", "Canon EOS 5D") == ["sydney.jpg"]
    assert found("--near=-33.86,151.21,10") == ["sydney.jpg"]
    assert found("--after", "2000-01-01", "--filter", "width>=40") == ["newyork.jpg"]  # sydney is 30 wide upright
    assert main(["search", "x", "--near", "48.8,2.3", *store]) == 2
    assert "write LAT,LON,KM" in capsys.readouterr().err
    assert main(["search", "x", "--after", "01/05/2024", *store]) == 2
    assert "is not a date; write YYYY-MM-DD" in capsys.readouterr().err


def test_server_route_photo_filters(tiny_model, photos):
    pytest.importorskip("fastapi", reason="the server needs the serve extra")
    from fastapi.testclient import TestClient

    from mmretrieval.server import ServerSettings, create_app

    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(photos, show_progress_bar=False)
        api = TestClient(create_app(index, ServerSettings()))

        def found(**params):
            response = api.get("/api/search", params={"q": "a photo", **params})
            assert response.status_code == 200, response.text
            return sorted(h["name"] for h in response.json()["hits"])

        assert found(after="2024-01-01") == ["sydney.jpg"]
        assert found(before="2024-01-01", camera="nikon") == ["newyork.jpg"]
        assert found(near="40.75,-73.99,2") == ["newyork.jpg"]
        bad = api.get("/api/search", params={"q": "a photo", "near": "here"})
        assert bad.status_code == 422 and "LAT,LON,KM" in bad.text


def test_ray_actor_and_writer_keep_the_exif(tiny_model, photos, tmp_path):
    """ray-index's actor and writer (plain Python; no Ray needed) store the payload ``index`` does."""
    from types import SimpleNamespace

    from mmretrieval.distributed.ray_index import ImageEmbedder, _upsert

    embedder = ImageEmbedder.__new__(ImageEmbedder)
    embedder.model, embedder.small_dim = tiny_model, 16
    batch = embedder({"path": np.array([str(photos / "sydney.jpg"), str(photos / "plain.jpg")])})
    with Index(VectorStore(":memory:"), tiny_model) as ray_side, Index(VectorStore(":memory:"), tiny_model) as index:
        ray_side.ensure_collection()
        assert _upsert(SimpleNamespace(store=ray_side.store, model=None), batch) == 2
        index.add_images([photos / "sydney.jpg", photos / "plain.jpg"], show_progress_bar=False)
        payloads = [{str(r.id): r.payload for r in i.store.scroll({"kind": "image"})} for i in (ray_side, index)]
        assert payloads[0] == payloads[1]
        assert any(p.get("camera") == "Canon EOS 5D" for p in payloads[0].values())


def test_rag_photo_filters_pick_the_images_and_keep_the_passages(tiny_model, photos, tmp_path, capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "trip.md").write_text("# Trip\n\nWe flew to Sydney in May and saw the harbour. " * 10)
    store = ["--store", str(tmp_path / "q"), "--model", str(model_dir)]
    assert main(["index", str(photos), str(docs), "--no-progress", *store]) == 0
    capsys.readouterr()
    assert main(["rag", "the trip", "--json", "--limit", "10", "--max-images", "10", "--after", "2024-01-01", *store]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert [i["path"].rsplit("/", 1)[1] for i in items if i["kind"] == "image"] == ["sydney.jpg"]
    assert any(i["kind"] == "text" for i in items)
    assert main(["rag", "the trip", "--near", "1,2", *store]) == 2
    assert "write LAT,LON,KM" in capsys.readouterr().err
