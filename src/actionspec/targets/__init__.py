"""Implementations the conformance suite can run against, by name."""

from __future__ import annotations

from collections.abc import Callable

from ..suite import target
from . import reference

# name -> factory. A factory raises `TargetUnavailableError` (with how to enable it) when the
# implementation cannot run here.
FACTORIES: dict[str, Callable[[], target.Target]] = {
    'reference': reference.ReferenceTarget,
}


class TargetUnavailableError(RuntimeError):
    """The target cannot run here; the message says how to enable it."""


def names() -> list[str]:
    return list(FACTORIES)


def make(name: str) -> target.Target:
    """The target called `name`: KeyError if none has that name, TargetUnavailableError
    if it cannot run here."""
    if name not in FACTORIES:
        raise KeyError(name)
    return FACTORIES[name]()


def available() -> list[target.Target]:
    """Every target that can run here."""
    found = []
    for name in FACTORIES:
        try:
            found.append(make(name))
        except TargetUnavailableError:
            continue
    return found
