"""Implementations the conformance suite can run against, by name."""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Callable

from ..launch import venvs
from ..suite import target
from . import charm_dir, juju_cli, reference, releases


class TargetUnavailableError(RuntimeError):
    """The target cannot run here; the message says how to enable it."""


def _needs_extra(module: str, name: str) -> Callable[[], target.Target]:
    def make() -> target.Target:
        # The module raises TargetUnavailableError without its extra (actionspec[ops], ...).
        found = importlib.import_module(f'{__name__}.{module}')
        chosen: target.Target = getattr(found, name)()
        return chosen

    return make


def _juju() -> target.Target:
    try:
        return juju_cli.JujuTarget()
    except juju_cli.JujuCommandError as e:
        raise TargetUnavailableError(str(e)) from None


# name -> factory. A factory raises `TargetUnavailableError` (with how to enable it) when the
# implementation cannot run here.
FACTORIES: dict[str, Callable[[], target.Target]] = {
    'reference': reference.ReferenceTarget,
    'ops': _needs_extra('ops_runtime', 'OpsTarget'),
    'ops-scenario': _needs_extra('ops_testing', 'ScenarioTarget'),
    'ops-harness': _needs_extra('ops_testing', 'HarnessTarget'),
    'charmhelpers': _needs_extra('charm_helpers', 'CharmHelpersTarget'),
    'juju': _juju,
}
# Targets that `all` leaves out: they act on a controller outside the kit, so they run
# only when named.
NAMED_ONLY = frozenset({'juju'})


# The names of targets made on demand, besides those in FACTORIES.
FORMS = releases.FORMS


def names() -> list[str]:
    return list(FACTORIES)


def list_name(name: str) -> str:
    """The expected-failure list the target called `name` is judged by: its own, or for a
    release (`ops-harness@2.23`) its implementation's, whose known divergences it shares
    unless the release differs."""
    return name.partition('@')[0] if releases.is_release(name) else name


def make(name: str) -> target.Target:
    """The target called `name`, a release of one (`ops@2.23`, built on first use), or
    `module:attribute` for one of your own (a class or a factory to call, or an instance).
    KeyError if there is none, TargetUnavailableError if it cannot run here."""
    if name in FACTORIES:
        return FACTORIES[name]()
    if releases.is_release(name):
        try:
            return releases.make(name)
        except releases.BadReleaseError as e:
            raise KeyError(str(e)) from None
        except venvs.EnvError as e:
            raise TargetUnavailableError(str(e)) from None
    if name.startswith('charm:'):
        try:
            return charm_dir.CharmTarget(pathlib.Path(name.removeprefix('charm:')), name)
        except ValueError as e:
            raise KeyError(str(e)) from None
    module_name, sep, attribute = name.partition(':')
    if not sep or not module_name or not attribute:
        raise KeyError(name)
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as e:
        raise KeyError(f'{name}: {e}') from None
    made = found() if callable(found) else found
    for needed in ('name', 'sides', 'juju_versions', 'observe'):
        if not hasattr(made, needed):
            raise KeyError(f'{name}: not a target (it has no {needed!r})')
    chosen: target.Target = made
    return chosen


def available() -> list[target.Target]:
    """Every target that can run here, but those that run only when named."""
    found = []
    for name in [n for n in FACTORIES if n not in NAMED_ONLY]:
        try:
            found.append(make(name))
        except TargetUnavailableError:
            continue
    return found
