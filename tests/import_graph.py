"""The import graph of the mmretrieval package, read from its source with ``ast`` (nothing is imported).

Every import counts, at module level or inside a function (a function-level import hides a cycle from
Python, not from this graph), except those under ``if TYPE_CHECKING:``, which never run. Edges:
``import a.b`` and ``from a import b`` (``b`` a submodule) go to that module; ``from a import NAME``
(``NAME`` defined in ``a``) goes to ``a`` (its ``__init__`` for a package), and, where ``a`` exports
``NAME`` lazily (``mmretrieval.lazy.lazy_exports``), to the submodule that defines it too. Importing a
submodule also runs its parents' ``__init__``, but that implicit import is not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "mmretrieval"


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its ``__init__.py``)."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str], lazy: dict[str, dict[str, str]]) -> set[str]:
    """The modules of the package that module ``name`` (file ``path``) imports anywhere in its body;
    ``lazy`` maps a package to its lazily exported names' modules."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                edges.add(_deepest(alias.name, known))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                edges.add(sub if sub in known else _deepest(base, known))
                if sub not in known and alias.name in lazy.get(base, {}):
                    edges.add(lazy[base][alias.name])
    edges.discard(name)
    return {e for e in edges if e in known}


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    found = modules(root)
    lazy = {name: lazy_exports(name, path) for name, path in found.items() if path.name == "__init__.py"}
    return {name: imports_of(name, path, set(found), lazy) for name, path in found.items()}


def lazy_exports(package: str, path: Path) -> dict[str, str]:
    """``{name: module}`` of a package's lazy exports: the dict literal given to ``lazy_exports``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    dicts = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
             if isinstance(t, ast.Name) and isinstance(node.value, ast.Dict)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_exports" and len(node.args) == 2:
            names = node.args[1]
            names = dicts.get(names.id) if isinstance(names, ast.Name) else names
            if isinstance(names, ast.Dict):
                return {k.value: _absolute(v.value, package) for k, v in zip(names.keys, names.values)}
    return {}


def _absolute(module: str, package: str) -> str:
    """``".index"`` in ``package`` -> ``package.index`` (what ``importlib.import_module(module, package)`` does)."""
    if not module.startswith("."):
        return module
    level = len(module) - len(module.lstrip("."))
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)]
    rest = module[level:]
    return ".".join(base + ([rest] if rest else []))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: each strongly connected component of more than one module, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (no recursion limit to hit)
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return sorted(found)


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for child in edges[todo.pop()] - seen:
            seen.add(child)
            todo.append(child)
    return seen


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _deepest(dotted: str, known: set[str]) -> str:
    """The longest prefix of ``dotted`` that is a module of the package (``a.b.NAME`` -> ``a.b``)."""
    parts = dotted.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts)
