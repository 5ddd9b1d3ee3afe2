"""The real ops runtime as a conformance target: the kit's scripted ops charm, run as Juju
runs charms, each dispatch forked from a pre-warmed process.
"""

from __future__ import annotations

import pathlib

from ..launch import charmdir
from ..launch import zygote as zygote_
from ..suite import contract
from . import TargetUnavailableError, charm_dir

try:
    import ops  # noqa: F401 - the scripted ops charm needs it
except ImportError as e:  # pragma: no cover - exercised without the [ops] extra
    raise TargetUnavailableError(
        f"ops is not installed ({e}); pip install 'actionspec[ops]'"
    ) from None


def shared_zygote() -> zygote_.Zygote:
    """The process's zygote for scripted ops charms, with ops and the scripted charm's
    entry imported."""
    return charmdir.shared_zygote(('ops', 'actionspec.suite.ops_entry'))


class OpsTarget(charm_dir.CharmTarget):
    """The real ops runtime: the kit's scripted ops charm, each dispatch forked from a
    pre-warmed process."""

    def __init__(self) -> None:
        super().__init__(None, 'ops')

    def _charm(self, source: pathlib.Path) -> contract.ScriptedCharmDirectory:
        return contract.ScriptedCharmDirectory(source, zygote=shared_zygote())
