"""The one walk over an ``index`` run's inputs: folders (recursively), files and glob patterns.

It sorts what it finds into images, text documents (``.txt``, ``.md``...), caption sidecars and
the files passed over, and keeps the scope test (:meth:`Scope.covers`) that says which stored
points those inputs cover. A file named on its own is taken as named: a text document if it has a
text suffix, else an image. In a folder or a glob's matches, a ``.txt``/``.caption`` beside an image of
the same name (``cat.jpg`` + ``cat.txt``) is that image's caption sidecar, not a document.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from fnmatch import fnmatch

from ..images import is_image_file
from .captions import caption_sidecars, find_sidecar
from .passages import is_text_document

IMAGE, TEXT = "image", "text"  # the kinds of file a run indexes (the payload kinds of their points)


def is_glob(text: str) -> bool:
    return glob.has_magic(text)


@dataclass
class Scope:
    """Which indexed paths the inputs cover: a folder everything under it, a file itself, a glob what it
    matches. An indexed point in scope whose file is gone gets removed."""

    folders: list[str] = field(default_factory=list)
    exact: set[str] = field(default_factory=set)
    patterns: list[str] = field(default_factory=list)

    def covers(self, path: str) -> bool:
        return (
            path in self.exact
            or any(path.startswith(folder) for folder in self.folders)
            or any(fnmatch(path, pattern) for pattern in self.patterns)
        )


@dataclass
class Files:
    """What one walk found (absolute paths, sorted)."""

    scope: Scope = field(default_factory=Scope)
    images: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    sidecars: dict[str, str] = field(default_factory=dict)  # image -> its caption sidecar
    passed_over: list[str] = field(default_factory=list)  # neither images, nor documents, nor sidecars
    kinds: set[str] = field(default_factory=set)  # what the inputs may hold: a folder both, a file or glob its own
    named: dict[str, list[str]] = field(default_factory=dict)  # kind -> the files named on their own

    def of(self, kind: str) -> list[str]:
        return self.images if kind == IMAGE else self.documents


def walk(inputs) -> Files:
    """Walk ``inputs`` once. A missing input that is not a glob is an error."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    files = Files(named={IMAGE: [], TEXT: []})
    found: set[str] = set()  # from folders and globs: sorted by name below
    listed: set[str] = set()  # images whose whole folder was listed (their sidecar is known without a stat)
    for item in map(os.fspath, inputs):
        item = os.path.abspath(os.path.expanduser(item))
        if is_glob(item):
            files.scope.patterns.append(item)
            found.update(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
            files.kinds.add(TEXT if is_text_document(item) else IMAGE)
        elif os.path.isdir(item):
            files.scope.folders.append(os.path.join(item, ""))
            for path in _walk_folder(item):
                found.add(path)
                listed.add(path)
            files.kinds.update((IMAGE, TEXT))
        elif os.path.exists(item):
            files.scope.exact.add(item)
            kind = TEXT if is_text_document(item) else IMAGE
            files.named[kind].append(item)
            files.kinds.add(kind)
        else:
            raise FileNotFoundError(f"{item} does not exist; give image files, text documents, folders or glob patterns")

    images = {p for p in found if is_image_file(p)} | set(files.named[IMAGE])
    for image in images:
        sidecar = find_sidecar(image, found if image in listed else None)
        if sidecar is not None:
            files.sidecars[image] = str(sidecar)
    is_sidecar = caption_sidecars(found | images) - set(files.named[TEXT])  # (a file named is taken as named)
    documents = {p for p in found if is_text_document(p) and p not in is_sidecar} | set(files.named[TEXT])
    files.images, files.documents = sorted(images), sorted(documents)
    files.passed_over = sorted(found - images - documents - is_sidecar)
    files.kinds.update(kind for kind in (IMAGE, TEXT) if files.of(kind))
    return files


def _walk_folder(folder: str):
    """Every file under ``folder``, hidden files and folders left out."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                yield os.path.join(root, name)

