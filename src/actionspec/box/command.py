"""What every command of the box's controller shares: a hosted model and what the box
keeps beside it, flag parsing, and the way a command refuses or answers."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Sequence
from typing import Any

from .. import runtimes
from ..juju import render
from ..jujucli import flags as flags_


class Refused(Exception):  # noqa: N818 - an answer, not a fault
    """The command refuses: `ERROR <text>` and this exit status (2: its arguments, as
    juju/cmd exits for an error of `Init`; 1: of `Run`)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass
class Hosted:
    """A model the box hosts: the controller's model, and what the box keeps beside it."""

    model: runtimes.Model
    directory: pathlib.Path  # its charms and its units' directories
    config: dict[str, Any] = dataclasses.field(default_factory=dict)  # model-config set
    revisions: dict[str, int] = dataclasses.field(default_factory=dict)  # local charm -> last
    charms: dict[str, tuple[str, int]] = dataclasses.field(default_factory=dict)  # app -> charm
    logged: int = 0  # how many of the model's log lines are on disk
    trusted: set[str] = dataclasses.field(default_factory=set)  # apps deployed with --trust

    @property
    def name(self) -> str:
        return self.model.name

    def charm_url(self, app: str) -> str:
        """`local:<charm>-<revision>`, as show-unit names a local charm."""
        name, revision = self.charms[app]
        return f'local:{name}-{revision}'


def stored_charm(model_dir: pathlib.Path, name: str, revision: int) -> pathlib.Path:
    """Where the box keeps revision `revision` of the local charm `name` it was given."""
    return model_dir / 'charms' / f'{name}-{revision}'


MODEL_FLAG = flags_.Flag(('model', 'm'), 'string', '', 'Model to operate in')


def parse(spec: Sequence[flags_.Flag], words: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """The words parsed as the client parses them; a refusal of its flags exits 2."""
    try:
        return flags_.parse(spec, words)
    except flags_.FlagError as e:
        raise Refused(str(e), 2) from None


def flag(
    names: str, kind: str = 'bool', default: Any = None, choices: Sequence[str] = ()
) -> flags_.Flag:
    """A flag the box accepts (`'num-units n'`: its names, long first)."""
    if default is None:
        default = {'bool': False, 'string': '', 'strings': ()}.get(kind, '')
    return flags_.Flag(tuple(names.split()), kind, default, '', tuple(choices))


def done(stderr: str = '', stdout: str = '') -> render.CliOutput:
    """A command that succeeded, printing this."""
    return render.CliOutput(stdout, stderr, 0)
