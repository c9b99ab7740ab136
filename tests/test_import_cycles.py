"""No import cycle anywhere in the package, function-level imports included, and every module imports
on its own in a fresh interpreter (the others unimported)."""

import functools
import json
import subprocess
import sys
import textwrap

import pytest

from import_graph import ROOT, cycles, graph, modules, reachable


def test_no_import_cycle():
    found = cycles(graph())
    assert not found, "import cycles (each a strongly connected set of modules):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in found)


def test_the_graph_sees_function_level_lazy_and_package_imports(tmp_path):
    """The checker itself: a cycle hidden in a function, through ``from . import NAME`` or a lazy export is
    found; a type-only import and the implicit import of a parent package are not edges."""
    package = tmp_path / "mmretrieval"
    files = {
        "__init__.py": "from .lazy import lazy_exports\n_PUBLIC = {'Thing': '.c'}\n"
                       "__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)\n",
        "lazy.py": "",
        "a.py": "def f():\n    from .b import g\n",                     # hidden in a function
        "b.py": "from . import a\n",                                     # a submodule
        "c.py": "from . import d\n",
        "d.py": "def f():\n    from mmretrieval import Thing\n",        # lazily, c
        "e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .f import X\n",
        "f.py": "from .e import Y\n",
        "sub/__init__.py": "NAME = 1\n",
        "sub/g.py": "from . import NAME\n",                              # the package's __init__
        "sub/h.py": "from .g import x\n",                                # (sub/__init__ is implied, no edge)
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    edges = graph(tmp_path)
    assert edges["mmretrieval.sub.g"] == {"mmretrieval.sub"}
    assert edges["mmretrieval.sub.h"] == {"mmretrieval.sub.g"}
    assert cycles(edges) == [["mmretrieval.a", "mmretrieval.b"], ["mmretrieval.c", "mmretrieval.d"]]


def test_store_engines_need_only_their_contract():
    """The engines import the contract (``backends.base``) and the payload schema, never a store type."""
    edges = graph()
    for engine in ("client", "edge"):
        assert reachable(edges, f"mmretrieval.store.backends.{engine}") <= {
            "mmretrieval.store.backends.base", "mmretrieval.store.payload"}


# ---- each module alone, in a fresh interpreter -------------------------------------------------------
_PROBE = textwrap.dedent("""
    import importlib, json, sys, traceback
    results = {}
    for name in json.loads(sys.argv[1]):
        for loaded in [m for m in sys.modules if m == "mmretrieval" or m.startswith("mmretrieval.")]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
            results[name] = ["ok", ""]
        except ModuleNotFoundError as err:
            mine = (err.name or "").split(".")[0] == "mmretrieval"
            results[name] = ["error" if mine else "missing", traceback.format_exc() if mine else err.name]
        except BaseException:
            results[name] = ["error", traceback.format_exc()]
    print(json.dumps(results))
""")


@functools.lru_cache(maxsize=1)
def _imported_alone() -> dict:
    """``{module: [outcome, detail]}``: one interpreter imports each module with no other module of the
    package loaded (third-party packages stay loaded between them, so the batch takes seconds)."""
    names = sorted(modules())
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(names)], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_imports_alone(name):
    outcome, detail = _imported_alone()[name]
    if outcome == "missing":
        pytest.skip(f"optional dependency {detail!r} is not installed")
    assert outcome == "ok", f"import {name} in a fresh interpreter failed:\n{detail}"
