"""Which date a photo was taken, and where it came from (EXIF, XMP, or the file's last save); EXIF strings
read as exiftool reads them (up to the first NUL); points written by the previous EXIF read are brought up to
date by a payload-only update."""

import pytest
from PIL import Image

from mmretrieval.store import payload as P
from mmretrieval.indexing import Index
from mmretrieval.store.photo_filters import photo_filter
from mmretrieval.indexing.photo_meta import read_photo_metadata
from mmretrieval.store import Point, VectorStore
from test_exif import exif_of, write_jpeg

NS = ('xmlns:x="adobe:ns:meta/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
      'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"')


def xmp_packet(description_attrs: str = "", elements: str = "") -> bytes:
    """An XMP packet as cameras and editors write it: xpacket wrapper, one rdf:Description."""
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta {NS}><rdf:RDF>'
            f'<rdf:Description rdf:about="" {description_attrs}>{elements}</rdf:Description>'
            f'</rdf:RDF></x:xmpmeta>\n   \n<?xpacket end="w"?>').encode()


def read(tmp_path, exif=None, xmp=None, fmt="JPEG"):
    path = tmp_path / f"photo.{fmt.lower()}"
    Image.new("RGB", (16, 12), (90, 90, 200)).save(
        path, fmt, **({"exif": exif} if exif is not None else {}), **({"xmp": xmp} if xmp is not None else {}))
    return read_photo_metadata(path.read_bytes())


def when(meta):
    return meta.get("taken"), meta.get("taken_source")


def test_strings_end_at_the_first_nul(tmp_path):
    meta = read(tmp_path, exif_of(make="Sony\x00\x00garbage", model="ION230\x00F"))
    assert (meta["camera_make"], meta["camera_model"], meta["camera"]) == ("Sony", "ION230", "Sony ION230")
    assert "camera" not in read(tmp_path, exif_of(make="\x00Canon", model="\x00"))  # nothing before the NUL
    assert when(read(tmp_path, exif_of(taken="2024:05:01 10:20:30\x0099", offset="+02:00\x00x"))) == \
        ("2024-05-01T10:20:30+02:00", "exif")


def test_xmp_dates_win_over_the_last_save(tmp_path):
    saved = exif_of(datetime="2025:01:01 12:00:00")  # what an editor wrote when it saved the file
    assert when(read(tmp_path, saved)) == ("2025-01-01T12:00:00", "exif-modified")
    original = xmp_packet('exif:DateTimeOriginal="2019-07-14T08:30:15+02:00" xmp:CreateDate="2019-07-15T00:00:00"')
    assert when(read(tmp_path, saved, original)) == ("2019-07-14T08:30:15+02:00", "xmp")
    created = xmp_packet(elements="<xmp:CreateDate>2018-02-03T04:05Z</xmp:CreateDate>")  # element form, no seconds
    assert when(read(tmp_path, saved, created)) == ("2018-02-03T04:05:00+00:00", "xmp")
    assert when(read(tmp_path, None, created)) == ("2018-02-03T04:05:00+00:00", "xmp")  # XMP alone
    fractional = xmp_packet('exif:DateTimeOriginal="2017-01-02T03:04:05.678-05:00"')
    assert when(read(tmp_path, None, fractional, fmt="WEBP")) == ("2017-01-02T03:04:05-05:00", "xmp")


def test_exif_capture_dates_win_over_xmp(tmp_path):
    xmp = xmp_packet('exif:DateTimeOriginal="2019-07-14T08:30:15"')
    assert when(read(tmp_path, exif_of(taken="2020:02:02 02:02:02", datetime="2025:01:01 12:00:00"), xmp)) == \
        ("2020-02-02T02:02:02", "exif")
    digitized = exif_of(datetime="2025:01:01 12:00:00")
    digitized.get_ifd(0x8769)[0x9004] = "2016:06:06 06:06:06"  # DateTimeDigitized (a scan, say)
    assert when(read(tmp_path, digitized, xmp)) == ("2016-06-06T06:06:06", "exif")


@pytest.mark.parametrize("xmp", [b"not xml at all", b"<x:xmpmeta><unclosed>",
                                 xmp_packet('exif:DateTimeOriginal="2019"'), xmp_packet('exif:DateTimeOriginal="soon"')])
def test_bad_xmp_falls_back_without_losing_the_rest(tmp_path, xmp):
    meta = read(tmp_path, exif_of(datetime="2025:01:01 12:00:00", make="Canon", orientation=3), xmp)
    assert when(meta) == ("2025-01-01T12:00:00", "exif-modified")
    assert (meta["camera"], meta["orientation"]) == ("Canon", 3)


def test_points_from_the_previous_read_are_updated_in_place(engine, tiny_model, tmp_path):
    """Points written before taken_source and the NUL cut (photo_meta 1) get both on the next run, unencoded."""
    folder = tmp_path / "photos"
    folder.mkdir()
    write_jpeg(folder / "ion.jpg", exif_of(datetime="2025:01:01 12:00:00", make="ION", model="ION230\x00F"))
    with Index(VectorStore(tmp_path / "store", engine=engine), tiny_model) as index:
        index.add_images([folder], show_progress_bar=False)
        (record,) = index.store.scroll({"kind": "image"}, with_vectors=True)
        assert (record.payload["camera_model"], record.payload["taken_source"]) == ("ION230", "exif-modified")
        old = {**{k: v for k, v in record.payload.items() if k != P.TAKEN_SOURCE},
               P.CAMERA_MODEL: "ION230 F", P.CAMERA: "ION230 F", P.PHOTO_META: 1}  # as version 1 wrote it
        index.store.delete([str(record.id)])
        index.store.upsert([Point(str(record.id), record.vector, old)])
        report = index.add_images([folder], show_progress_bar=False)
        assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
        (after,) = index.store.scroll({"kind": "image"})
        assert after.payload[P.PHOTO_META] == P.PHOTO_META_VERSION == 2
        assert (after.payload["camera_model"], after.payload["camera"], after.payload["taken_source"]) == \
            ("ION230", "ION230", "exif-modified")
        assert len(index.search(text="x", filter=photo_filter(camera="ION230"))) == 1
