"""The server's memory bounds: thumbnails cached up to a byte budget (decoded at a reduced JPEG scale),
glibc arenas capped (eval/bench_server.py measures RSS under load)."""

import io
import platform

import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the server needs the serve extra: pip install -e '.[serve]'")

from mmretrieval.server.memory import limit_malloc_arenas  # noqa: E402
from mmretrieval.server.thumbs import ThumbnailCache, thumbnail  # noqa: E402


@pytest.fixture(scope="module")
def photos(assets, tmp_path_factory):
    """The assets/ photos at 3000 px, as a camera's."""
    folder = tmp_path_factory.mktemp("big")
    for path in sorted(assets.glob("*.jpg")):
        image = Image.open(path).convert("RGB")
        image.resize((3000, round(3000 * image.height / image.width))).save(folder / path.name, quality=85)
    return sorted(folder.glob("*.jpg"))


def test_thumbnails_stay_within_their_byte_budget_least_recent_out_first(photos):
    sizes = {p: len(thumbnail(str(p), 256)) for p in photos}
    budget = sum(sorted(sizes.values())[-3:])  # room for any three
    cache = ThumbnailCache(max_bytes=budget)
    for path in photos:
        assert cache(str(path), 1.0, 256) == thumbnail(str(path), 256)
        assert cache.bytes <= budget
    suffix = next(k for k in range(len(photos), 0, -1) if sum(sizes[p] for p in photos[-k:]) <= budget)
    kept = [key[0] for key in cache._items]
    assert 3 <= len(kept) < len(photos) and kept == [str(p) for p in photos[-suffix:]]  # the latest that fit
    cache(kept[0], 1.0, 256)  # used again: now the most recent
    assert [key[0] for key in cache._items][-1] == kept[0]


def test_a_thumbnail_of_a_large_photo_is_its_size(photos):
    image = Image.open(io.BytesIO(thumbnail(str(photos[0]), 128)))
    assert max(image.size) == 128 and image.format == "JPEG"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_arenas_can_be_capped_on_glibc():
    assert limit_malloc_arenas(8) is True  # (8 per core is glibc's own default on 1 core: harmless here)
