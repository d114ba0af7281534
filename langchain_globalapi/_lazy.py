"""Lazy package exports (PEP 562): a public name's module is imported the first time it is used.

`import langchain_globalapi` would otherwise import LangChain, the openai SDK, numpy and the
benchmark harness before the first line of user code (or `globalapi --help`) runs. Each
package `__init__` declares its names three ways, as `langchain_core` does: imports under
`TYPE_CHECKING` (what mypy and IDEs read), `_EXPORTS` (name -> submodule, what runtime
reads) and a literal `__all__`; `tests/unit_tests/test_lazy_imports.py` checks they agree.

Example:
    >>> getattr_, dir_ = lazy_exports("langchain_globalapi", {"Catalog": "catalog"}, ["Catalog"])
    >>> getattr_("Catalog").__module__
    'langchain_globalapi.catalog'
    >>> "Catalog" in dir_()
    True
    >>> getattr_("Nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'langchain_globalapi' has no attribute 'Nope'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's module-level `__getattr__` and `__dir__`.

    Args:
        package: The package's `__name__`.
        exports: Public name -> submodule of `package` that defines it (`"budgets"`).
        public: The package's `__all__` (what `dir()` lists besides its real globals).

    Returns:
        `(__getattr__, __dir__)`: the first imports a name's submodule on first access and
        caches the value in the package, so later lookups never come back here.
    """

    def module_getattr(name: str) -> Any:
        submodule = exports.get(name)
        if submodule is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def module_dir() -> list[str]:
        loaded = vars(sys.modules[package]) if package in sys.modules else {}
        return sorted({*loaded, *public})

    return module_getattr, module_dir
