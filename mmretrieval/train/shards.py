"""WebDataset tar shards (img2dataset's output: ``<key>.jpg`` + ``<key>.txt`` / ``<key>.json``), streamed.

``expand_shards("data/{00000..00099}.tar")`` lists shard URLs (brace ranges, globs, ``pipe:`` / http URLs,
folders of ``.tar`` files); ``read_shard(url, problems)`` yields one :class:`ShardSample` at a time without
holding the shard in memory. Nothing bad stops a pass: a sample without an image or a caption, a member
that cannot be read, and a shard that is missing or ends early (truncated download) are appended to
``problems`` as :class:`ShardProblem` and skipped. Whether an image decodes is checked where it is
decoded (the feature pass), with the same reporting.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")  # img2dataset's output formats
_TAR_END = bytes(1024)  # a complete tar ends with two zero blocks


@dataclass(frozen=True)
class ShardSample:
    shard: str
    key: str
    image: bytes
    caption: str
    meta: dict = field(default_factory=dict)  # the sample's .json (url, width, height, ...)

    @property
    def path(self) -> str:
        """Where the image lives: ``<shard>#<key>.<ext>`` (payload ``path`` and point id source)."""
        return f"{self.shard}#{self.key}"


@dataclass(frozen=True)
class ShardProblem:
    shard: str
    key: Optional[str]  # None: the whole shard (missing, truncated)
    reason: str

    def __str__(self) -> str:
        return f"{self.shard}" + (f"#{self.key}" if self.key else "") + f": {self.reason}"


def is_shard_source(source) -> bool:
    """Does ``source`` name webdataset shards (a ``.tar`` file/pattern/URL, or a folder of them)?"""
    text = str(source)
    if text.startswith("pipe:") or ".tar" in Path(text.split("::")[0]).name:
        return True
    path = Path(text).expanduser()
    return path.is_dir() and any(path.glob("*.tar")) and not any(path.glob("*.jpg"))


def expand_shards(source) -> list[str]:
    """Shard URLs of ``source``: ``{000..099}`` ranges, ``*`` globs, ``::``-joined lists, or a folder."""
    from braceexpand import braceexpand

    urls = []
    for part in str(source).split("::"):
        for url in braceexpand(part):
            path = Path(url).expanduser()
            if path.is_dir():
                urls += sorted(str(p) for p in path.glob("*.tar"))
            elif "://" not in url and not url.startswith("pipe:") and glob.has_magic(url):
                urls += sorted(glob.glob(os.path.expanduser(url)))
            else:
                urls.append(url if "://" in url or url.startswith("pipe:") else str(path))
    if not urls:
        raise FileNotFoundError(f"no webdataset shards match {source!r}")
    return urls


def read_shard(url: str, problems: list) -> Iterator[ShardSample]:
    """Stream the samples of one shard; what is wrong is appended to ``problems`` (see the module docstring)."""
    import webdataset as wds

    if "://" not in url and not url.startswith("pipe:") and not Path(url).is_file():
        problems.append(ShardProblem(url, None, "no such shard file"))
        return

    def record(err: Exception) -> bool:
        problems.append(ShardProblem(url, None, f"unreadable member: {err.args[0] if err.args else err!r}"))
        return True

    dataset = wds.WebDataset([url], shardshuffle=False, handler=record, empty_check=False)
    last = None
    for sample in dataset:
        last = sample["__key__"]
        parsed = _parse(sample)
        if isinstance(parsed, str):
            problems.append(ShardProblem(url, last, parsed))
        else:
            yield ShardSample(url, last, *parsed)
    if "://" not in url and not url.startswith("pipe:") and not _ends_like_a_tar(url):
        problems.append(ShardProblem(url, None, "ends without the tar end-of-archive marker (truncated download?); "
                                               f"samples after {last or 'the start'} are lost"))


def _parse(sample: dict):
    """``(image, caption, meta)`` of a grouped webdataset sample, or the reason it cannot be used."""
    image = next((sample[e] for e in IMAGE_EXTENSIONS if e in sample), None)
    meta = {}
    if "json" in sample:
        try:
            meta = json.loads(sample["json"])
        except (ValueError, UnicodeDecodeError):
            return "its .json is not valid JSON"
    caption = sample["txt"].decode("utf-8", "replace") if "txt" in sample else meta.get("caption")
    if image is None:
        return f"no image member ({'/'.join(IMAGE_EXTENSIONS)}); it has {', '.join(sorted(k for k in sample if not k.startswith('__')))}"
    if not caption or not str(caption).strip():
        return "no caption (.txt, or 'caption' in its .json)"
    return image, str(caption).strip(), meta


def _ends_like_a_tar(path: str) -> bool:
    size = os.path.getsize(path)
    if size < len(_TAR_END):
        return False
    with open(path, "rb") as handle:
        handle.seek(size - len(_TAR_END))
        return handle.read() == _TAR_END
