"""Package attributes that import their module on first use (PEP 562), so importing a package stays light."""

from __future__ import annotations

import importlib


def lazy_exports(package: str, names: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``, where ``names`` maps each public name to its submodule."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name], package), name)
        namespace[name] = value  # later look-ups skip this hook
        return value

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
