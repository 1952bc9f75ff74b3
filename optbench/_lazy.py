"""Names of a package imported from their modules on first use (PEP 562), written once for
``optbench`` and ``optbench.plots``: importing the package stays cheap."""

from __future__ import annotations

import importlib


def lazy_names(package: str, table: dict[str, str], namespace: dict, public) -> tuple:
    """``(__getattr__, __dir__)`` for ``package``: a name of ``table`` (name -> relative module)
    is imported from its module on first use and kept in ``namespace``; any other name is
    tried as a submodule (``optbench.store``)."""

    def __getattr__(name):
        module = table.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module, package), name)
            namespace[name] = value
            return value
        if not name.startswith("__"):
            try:
                return importlib.import_module(f".{name}", package)
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted({*namespace, *public})

    return __getattr__, __dir__
