"""No module imports a name it never uses (an unused import is a dependency, and a cycle, for nothing).
Re-exports are said so: in a package's ``__init__``, in ``__all__``, or with ``# noqa: F401``."""

import ast

from import_graph import modules


def unused_imports(source: str) -> list[str]:
    """Names bound by the imports of ``source`` that nothing in it reads."""
    tree = ast.parse(source)
    lines = source.splitlines()
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and "noqa" not in lines[node.lineno - 1]:
            for alias in node.names:
                if alias.name != "*" and not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                    bound[(alias.asname or alias.name).split(".")[0]] = node.lineno
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    exported = {e.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                and any(getattr(t, "id", None) == "__all__" for t in n.targets)
                for e in getattr(n.value, "elts", []) if isinstance(e, ast.Constant)}
    for string in (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)):
        try:  # a quoted annotation ('np.ndarray') uses its names too
            used |= {n.id for n in ast.walk(ast.parse(string, mode="eval")) if isinstance(n, ast.Name)}
        except SyntaxError:
            pass
    return sorted(f"{name} (line {line})" for name, line in bound.items() if name not in used and name not in exported)


def test_unused_imports_are_found():
    assert unused_imports("import os\nimport sys\nfrom a import b as c\nprint(sys)\n") == ["c (line 3)", "os (line 1)"]
    assert unused_imports("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import numpy as np\n"
                          "def f(x: 'np.ndarray') -> None:\n    TYPE_CHECKING\n") == []


def test_no_module_imports_what_it_does_not_use():
    found = {name: unused_imports(path.read_text()) for name, path in modules().items() if path.name != "__init__.py"}
    assert not {name: names for name, names in found.items() if names}
