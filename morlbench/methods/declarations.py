"""Capability declarations that would otherwise fail late or silently (docs/plugins.md): a hook of a capability the
method did not declare, and class attributes that look like a declaration but are not read."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from morlbench.errors import UsageError

# The names of the method API before ``Capabilities``: set on a class today, they would be silently ignored.
OLD_DECLARATIONS = {"needs_objective_gradients": "objective_gradients", "supports_processes": "data_parallel"}


def undeclared(capability: str, what: str) -> Callable[..., Any]:
    """Stands in for a capability the method did not declare: calling it stops with one line naming the
    declaration, instead of "'NoneType' object is not callable"."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UsageError(f"{what} is only given to a method that declares it: add `declares = "
                         f"Capabilities({capability}=True)` to the method's class (docs/plugins.md)")

    return refuse


def check_declarations(cls: type, capabilities: type) -> None:
    """Refuse, in one line, a method class whose capability declaration morlbench would not read: a
    ``Capabilities`` field or an old name set as a class attribute, or ``declares``/``capabilities`` set to
    something else than ``declares = Capabilities(...)``. Raised when the class is defined, so a plugin with
    one is reported by ``morlbench list`` and refused by ``run`` with this line."""
    fields = {f.name for f in dataclasses.fields(capabilities)}
    for attr, value in vars(cls).items():
        if callable(value) or isinstance(value, (property, classmethod, staticmethod)):
            continue
        capability = attr if attr in fields else OLD_DECLARATIONS.get(attr)
        if capability is not None:
            raise TypeError(f"method class {cls.__name__} sets {attr} = {value!r}, which morlbench does not read: "
                            f"declare `declares = Capabilities({capability}={value!r})` (docs/plugins.md)")
        if attr == "capabilities" or attr == "declares" and not isinstance(value, capabilities):
            raise TypeError(f"method class {cls.__name__} sets {attr} = {value!r}: declare capabilities as "
                            "`declares = Capabilities(...)` (morlbench.methods.base; docs/plugins.md)")
