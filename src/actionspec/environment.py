"""The dispatch environment: the variables Juju gives a charm process (J11), in one home.

The controller builds it, the process launcher adds where the hook tools are, and the
charm side reads it back, all through this module, as ops reads it through its one
`JujuContext` type. Building is on the fan-out's hot path, so it works on plain dicts;
reading gives a frozen `DispatchContext`.

Sources: juju/juju internal/worker/uniter/runner/context/context.go (`HookVars`,
`actionVars`), contextfactory.go (`newId`); canonical/operator ops/jujucontext.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

UNIT_NAME = 'JUJU_UNIT_NAME'
MODEL_NAME = 'JUJU_MODEL_NAME'
MODEL_UUID = 'JUJU_MODEL_UUID'
VERSION = 'JUJU_VERSION'
CHARM_DIR = 'JUJU_CHARM_DIR'
CONTEXT_ID = 'JUJU_CONTEXT_ID'
DISPATCH_PATH = 'JUJU_DISPATCH_PATH'
HOOK_NAME = 'JUJU_HOOK_NAME'
ACTION_NAME = 'JUJU_ACTION_NAME'
ACTION_UUID = 'JUJU_ACTION_UUID'
ACTION_TAG = 'JUJU_ACTION_TAG'
RELATION = 'JUJU_RELATION'
RELATION_ID = 'JUJU_RELATION_ID'
REMOTE_UNIT = 'JUJU_REMOTE_UNIT'
REMOTE_APP = 'JUJU_REMOTE_APP'
DEPARTING_UNIT = 'JUJU_DEPARTING_UNIT'
AGENT_SOCKET_ADDRESS = 'JUJU_AGENT_SOCKET_ADDRESS'
AGENT_SOCKET_NETWORK = 'JUJU_AGENT_SOCKET_NETWORK'
# The charm directory's older name, which Juju still sets.
LEGACY_CHARM_DIR = 'CHARM_DIR'


def agent_dir(unit: str) -> str:
    """Where the unit agent keeps the unit's files on a Juju machine."""
    return f'/var/lib/juju/agents/unit-{unit.replace("/", "-")}'


def unit_base(unit: str, model_name: str, model_uuid: str, agent_version: str) -> dict[str, str]:
    """The variables every dispatch on `unit` shares."""
    return {
        CHARM_DIR: f'{agent_dir(unit)}/charm',
        UNIT_NAME: unit,
        MODEL_UUID: model_uuid,
        MODEL_NAME: model_name,
        VERSION: agent_version,
    }


def dispatch(base: Mapping[str, str], context_id: str, dispatch_path: str) -> dict[str, str]:
    """One dispatch's environment: the unit's variables, the context id and the path.

    `JUJU_HOOK_NAME` is the hook's name, and empty for an action.
    """
    env = dict(base)
    env[CONTEXT_ID] = context_id
    env[HOOK_NAME] = (
        '' if dispatch_path.startswith('actions/') else dispatch_path.partition('/')[2]
    )
    env[DISPATCH_PATH] = dispatch_path
    return env


def context_id(unit: str, name: str, number: int) -> str:
    """Juju's context id, `<unit>-<hook or action name>-<random int63>` (contextfactory.go
    `newId`); a counter stands in for the random number, so runs repeat exactly."""
    return f'{unit}-{name}-{number}'


def add_action(env: dict[str, str], action: str, task_id: str) -> None:
    """The variables of an action dispatch (J11)."""
    env[ACTION_NAME] = action
    env[ACTION_UUID] = task_id
    env[ACTION_TAG] = f'action-{task_id}'


def add_relation(
    env: dict[str, str], endpoint: str, relation_id: int, remote_unit: str, remote_app: str
) -> None:
    """The variables of a relation hook."""
    env[RELATION] = endpoint
    env[RELATION_ID] = f'{endpoint}:{relation_id}'
    env[REMOTE_UNIT] = remote_unit
    env[REMOTE_APP] = remote_app


def add_departing(env: dict[str, str], unit: str) -> None:
    """The unit that leaves, in a relation-departed hook."""
    env[DEPARTING_UNIT] = unit


def add_agent(env: dict[str, str], charm_dir: str, socket_address: str) -> None:
    """Where a real dispatch process finds its charm and the unit agent's socket."""
    env[CHARM_DIR] = charm_dir
    env[LEGACY_CHARM_DIR] = charm_dir
    env[AGENT_SOCKET_ADDRESS] = socket_address
    env[AGENT_SOCKET_NETWORK] = 'unix'


@dataclasses.dataclass(frozen=True, slots=True)
class DispatchContext:
    """A dispatch environment as a charm process reads it."""

    unit_name: str
    """The unit the process runs for (`db/0`)."""
    dispatch_path: str
    """`actions/<name>` or `hooks/<name>`: what Juju is running."""
    charm_dir: str = '.'
    """The unit's charm directory."""
    context_id: str = ''
    """The hook context the hook tools talk to."""
    action_name: str = ''
    """The action's name; empty for a hook."""
    action_uuid: str = ''
    """The task id (a decimal string since Juju 2.7, C5); empty for a hook."""
    relation_id: str = ''
    """`<endpoint>:<id>` for a relation hook; empty otherwise."""
    remote_unit: str = ''
    """The unit whose change a relation hook reports; empty for an application bag."""
    remote_app: str = ''
    """The application on the other side of a relation hook."""
    socket_address: str = ''
    """The unit agent's socket, for the hook tools of a real process."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DispatchContext:
        return cls(
            unit_name=env.get(UNIT_NAME, ''),
            dispatch_path=env.get(DISPATCH_PATH, ''),
            charm_dir=env.get(CHARM_DIR, '.'),
            context_id=env.get(CONTEXT_ID, ''),
            action_name=env.get(ACTION_NAME, ''),
            action_uuid=env.get(ACTION_UUID, ''),
            relation_id=env.get(RELATION_ID, ''),
            remote_unit=env.get(REMOTE_UNIT, ''),
            remote_app=env.get(REMOTE_APP, ''),
            socket_address=env.get(AGENT_SOCKET_ADDRESS, ''),
        )

    @property
    def is_action(self) -> bool:
        return bool(self.action_name)
