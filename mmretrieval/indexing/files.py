"""Which files an ``index`` run covers: folders (recursively), files and glob patterns."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from fnmatch import fnmatch

from ..images import is_image_file


def is_glob(text: str) -> bool:
    return glob.has_magic(text)


@dataclass
class Scope:
    """The files named by the inputs, and the test for which indexed paths those inputs cover.

    A folder covers everything under it, a file itself, a glob what it matches; an indexed point
    in scope whose file is gone gets removed.
    """

    files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    exact: set[str] = field(default_factory=set)
    patterns: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)  # files in scanned folders that are not images

    def covers(self, path: str) -> bool:
        return (
            path in self.exact
            or any(path.startswith(folder) for folder in self.folders)
            or any(fnmatch(path, pattern) for pattern in self.patterns)
        )


def collect(inputs) -> Scope:
    """Expand ``inputs`` to absolute file paths (sorted, unique). A missing non-glob input is an error."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    scope = Scope()
    found: set[str] = set()
    for item in map(os.fspath, inputs):
        item = os.path.abspath(os.path.expanduser(item))
        if is_glob(item):
            scope.patterns.append(item)
            found.update(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
        elif os.path.isdir(item):
            scope.folders.append(os.path.join(item, ""))
            found.update(_walk_images(item, scope.passed_over))
        elif os.path.exists(item):
            scope.exact.add(item)
            found.add(item)
        else:
            raise FileNotFoundError(f"{item} does not exist; give image files, folders or glob patterns")
    scope.files = sorted(found)
    return scope


def _walk_images(folder: str, passed_over: list):
    """Image files under ``folder`` (hidden files and folders left out); the others go to ``passed_over``."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            if is_image_file(name):
                yield os.path.join(root, name)
            else:
                passed_over.append(os.path.join(root, name))
