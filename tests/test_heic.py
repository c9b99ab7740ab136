"""HEIC/HEIF (iPhone photos) and AVIF: opened, upright, their EXIF in the payload, through index and search;
damaged files skipped with a reason; the HEIF plugin registered on the first image load, not at import."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mmretrieval import ImageLoadError, load_image
from mmretrieval.cli.main import main
from mmretrieval.images import is_image_file, load_image_size_tags, register_heif
from mmretrieval.indexing import Index
from mmretrieval.store.photo_filters import photo_filter
from mmretrieval.indexing.photo_meta import read_photo_metadata
from mmretrieval.store import VectorStore
from test_exif import SYDNEY, exif_of

pytest.importorskip("pillow_heif", reason="HEIC needs pillow-heif (a core dependency)")
IPHONE = exif_of("2024:05:01 10:20:30", "+10:00", "Apple", "iPhone 15 Pro", SYDNEY, 6)


def heic_bytes(exif=None, size=(40, 30), color=(200, 30, 30), fmt="HEIF", noise=False) -> bytes:
    """An encoded HEIC (or AVIF) photo written by pillow-heif (or PIL), with ``exif`` in it."""
    register_heif()
    image = Image.new("RGB", size, color)
    if noise:  # pixels that do not compress away, so cutting the file cuts the picture
        image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (*size[::-1], 3), dtype=np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=60, **({"exif": exif.tobytes()} if exif is not None else {}))
    return buffer.getvalue()


@pytest.fixture
def phone_photos(tmp_path):
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "IMG_0001.HEIC").write_bytes(heic_bytes(IPHONE))
    (folder / "plain.heif").write_bytes(heic_bytes(color=(30, 30, 200)))
    (folder / "web.avif").write_bytes(heic_bytes(exif_of(make="Google", model="Pixel 8"), color=(30, 200, 30),
                                                 fmt="AVIF"))
    noisy, flat = heic_bytes(size=(256, 256), noise=True), heic_bytes(size=(256, 256))
    (folder / "truncated.heic").write_bytes(noisy[: len(noisy) // 2])  # the picture cut: libheif says so
    (folder / "cut-header.heic").write_bytes(flat[: len(flat) // 2])  # its boxes cut: PIL cannot identify it
    (folder / "garbage.heic").write_bytes(flat[:40] + bytes(range(256)) * 4)
    return folder


def test_heic_opens_upright_with_its_exif(phone_photos):
    image, size, tags = load_image_size_tags(phone_photos / "IMG_0001.HEIC")
    assert image.mode == "RGB" and image.size == size == (30, 40)  # orientation 6: 40x30 stored, shown 30x40
    assert image.getpixel((15, 20))[0] > 150  # red, decoded
    meta = read_photo_metadata((phone_photos / "IMG_0001.HEIC").read_bytes())
    assert meta == {"taken": "2024-05-01T10:20:30+10:00", "taken_source": "exif", "camera_make": "Apple",
                    "camera_model": "iPhone 15 Pro", "camera": "Apple iPhone 15 Pro", "orientation": 6,
                    "location": pytest.approx({"lat": SYDNEY[0], "lon": SYDNEY[1]}, abs=1e-5)}
    assert load_image((phone_photos / "IMG_0001.HEIC").read_bytes()).size == (30, 40)  # bytes too
    assert read_photo_metadata((phone_photos / "web.avif").read_bytes())["camera"] == "Google Pixel 8"


def test_heic_and_avif_count_as_images():
    for name in ("a/IMG_1.HEIC", "b.heif", "c.hif", "d.avif"):
        assert is_image_file(name), name


@pytest.mark.parametrize("name", ["truncated.heic", "cut-header.heic", "garbage.heic"])
def test_damaged_heic_is_refused_with_a_reason(phone_photos, name):
    with pytest.raises(ImageLoadError, match="corrupt or truncated") as info:
        load_image(phone_photos / name)
    assert name in str(info.value)
    assert read_photo_metadata((phone_photos / name).read_bytes()) == {}


def test_index_and_search_phone_photos(engine, tiny_model, phone_photos, tmp_path):
    with Index(VectorStore(tmp_path / "store", engine=engine), tiny_model) as index:
        report = index.add_images([phone_photos], show_progress_bar=False)
        assert report.added == 3
        assert sorted((p.rsplit("/", 1)[1], r.split(" (")[0]) for p, r in report.skipped) == [
            ("cut-header.heic", "corrupt or truncated HEIC/HEIF file"),
            ("garbage.heic", "corrupt or truncated HEIC/HEIF file"),
            ("truncated.heic", "corrupt or truncated image data")]
        payloads = {r.payload["path"].rsplit("/", 1)[1]: r.payload for r in index.store.scroll({"kind": "image"})}
        iphone = payloads["IMG_0001.HEIC"]
        assert (iphone["width"], iphone["height"], iphone["orientation"]) == (30, 40, 6)
        assert (iphone["camera"], iphone["taken"], iphone["taken_source"]) == \
            ("Apple iPhone 15 Pro", "2024-05-01T10:20:30+10:00", "exif")
        assert payloads["web.avif"]["camera"] == "Google Pixel 8"

        def found(**filters):
            hits = index.search(text="a photo", limit=10, filter=photo_filter(**filters))
            return sorted(h.payload["path"].rsplit("/", 1)[1] for h in hits)

        assert found() == ["IMG_0001.HEIC", "plain.heif", "web.avif"]
        assert found(after="2024-01-01", camera="iphone", near=(-33.86, 151.21, 5)) == ["IMG_0001.HEIC"]
        hit = index.search(image=phone_photos / "IMG_0001.HEIC", limit=1)[0]  # a HEIC as the query, too
        assert hit.payload["path"].endswith("IMG_0001.HEIC") and hit.score > 0.99


def test_cli_index_and_search_heic(tiny_model, phone_photos, tmp_path, capsys):
    store = ["--store", str(tmp_path / "q"), "--model", str(tiny_model.save(tmp_path / "model"))]
    assert main(["index", str(phone_photos), "--no-progress", *store]) == 0  # 3 indexed, 3 damaged skipped
    out = capsys.readouterr()
    assert "passed over" not in out.out + out.err and "skipped 3" in out.out and "truncated.heic: corrupt" in out.out
    assert main(["search", "a photo", "--json", "--camera", "iPhone 15", *store]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [h["path"].rsplit("/", 1)[1] for h in hits] == ["IMG_0001.HEIC"]


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_heif_plugin_registers_on_first_load_not_at_import(phone_photos):
    out = _run(f"""
import sys, mmretrieval, mmretrieval.images as images, mmretrieval.indexing
before = "pillow_heif" in sys.modules
print(before, images.load_image({str(phone_photos / "IMG_0001.HEIC")!r}).size, "pillow_heif" in sys.modules)
""")
    assert out.split() == ["False", "(30,", "40)", "True"]


def test_without_pillow_heif_the_skip_names_the_fix(phone_photos):
    out = _run(f"""
import sys
sys.modules["pillow_heif"] = None  # as if not installed
from mmretrieval.images import ImageLoadError, is_image_file, load_image
assert is_image_file("IMG_0001.HEIC")
try:
    load_image({str(phone_photos / "IMG_0001.HEIC")!r})
except ImageLoadError as err:
    print(err.reason)
""")
    assert "pillow-heif" in out and "pip install pillow-heif" in out
