import io

import numpy as np
import pytest
from PIL import Image

from mmretrieval import ImageLoadError, load_image


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _save(img, path, **kw):
    img.save(path, **kw)
    return path


def test_good_modes_become_rgb(tmp_path):
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    palette = Image.new("P", (8, 8))
    palette.info["transparency"] = 0
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 0, 0))
    grey16 = Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    for name, img, fmt in [("a.png", rgba, "PNG"), ("b.png", palette, "PNG"), ("c.jpg", cmyk, "JPEG"),
                           ("d.png", grey16, "PNG"), ("e.png", Image.new("L", (8, 8), 7), "PNG")]:
        out = load_image(_save(img, tmp_path / name, format=fmt))
        assert out.mode == "RGB" and out.size == (8, 8)
    # fully transparent red flattens to white, not black or red
    assert load_image(tmp_path / "a.png").getpixel((0, 0)) == (255, 255, 255)
    # 16-bit greyscale keeps its range after scaling to 8 bits
    pixels = np.asarray(load_image(tmp_path / "d.png"))
    assert pixels.min() == 0 and pixels.max() == 255


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (20, 10), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = _save(img, tmp_path / "rot.jpg", exif=exif)
    assert load_image(path).size == (10, 20)


def test_accepts_bytes_and_pil(assets):
    data = (assets / "cat.jpg").read_bytes()
    assert load_image(data).size == load_image(assets / "cat.jpg").size
    assert load_image(Image.open(io.BytesIO(data))).mode == "RGB"


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p / "missing.jpg", "no such file"),
        (lambda p: _write(p / "empty.jpg", b""), "empty file"),
        (lambda p: _write(p / "notes.jpg", b"hello, not a picture"), "not an image"),
        (lambda p: p, "is a folder"),
    ],
)
def test_bad_files_name_the_file_and_reason(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(ImageLoadError, match=reason) as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_truncated_jpeg(tmp_path, assets):
    data = (assets / "cat.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_image(path)


def test_oversized_image_is_refused_before_decoding(tmp_path):
    path = _save(Image.new("RGB", (200, 200)), tmp_path / "big.png")
    with pytest.raises(ImageLoadError, match="exceeds the limit"):
        load_image(path, max_pixels=10_000)
