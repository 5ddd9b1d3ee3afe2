"""The hook context: what a charm may ask of Juju during one dispatch.

Every operation here is one hook tool (`action-get`, `action-set`, `relation-set`, ...),
with Juju's rules and error texts. The in-process charm side calls these methods directly;
the command-line hook tools parse their arguments and call the same methods, so each Juju
rule has one home. Source: juju/juju 3.6 worker/uniter/runner/jujuc/ and
worker/uniter/runner/context/context.go.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .. import errors
from . import actions
from . import results as results_

if TYPE_CHECKING:
    from . import model as model_


class HookToolError(errors.ModelError):
    """A hook tool refused: Juju prints `ERROR <message>` and exits with `code`.

    Juju's command framework exits 2 when the arguments are refused before the command
    runs (`Init`), and 1 when the command itself fails (`Run`). To the charm it is a
    ModelError whose text is the tool's stderr, as ops raises it.
    """

    def __init__(self, tool: str, message: str, *, code: int = 1) -> None:
        super().__init__(f'ERROR {message}\n')
        self.tool = tool
        self.message = message
        self.code = code

    @property
    def stderr(self) -> str:
        return f'ERROR {self.message}\n'

    def __repr__(self) -> str:
        return f'HookToolError({self.tool!r}, {self.message!r}, code={self.code})'


class HookTools(Protocol):
    """The hook tools a charm calls. One implementation: `UnitContext`."""

    def action_get(self) -> dict[str, Any]: ...
    def action_set(self, args: Sequence[str]) -> None: ...
    def action_log(self, message: str) -> None: ...
    def action_fail(self, message: str | None = None) -> None: ...
    def is_leader(self) -> bool: ...
    def relation_ids(self, endpoint: str) -> list[str]: ...
    def relation_list(self, relation_id: int) -> list[str]: ...
    def relation_app(self, relation_id: int) -> str: ...
    def relation_get(self, relation_id: int, owner: str, *, app: bool) -> dict[str, str]: ...
    def relation_set(self, relation_id: int, data: Mapping[str, str], *, app: bool) -> None: ...
    def status_set(self, status: str, message: str = '', *, app: bool = False) -> None: ...
    def juju_log(self, message: str, level: str = 'INFO') -> None: ...
    def juju_version(self) -> str: ...
    def config_get(self) -> dict[str, Any]: ...


class LogEntry(NamedTuple):
    """One `action-log` message with the UTC time the controller stored it (J3)."""

    timestamp: datetime.datetime
    message: str


@dataclasses.dataclass(slots=True)
class ActionState:
    """What the running action has reported so far (results, logs, failure)."""

    name: str
    id: str
    params: dict[str, Any]
    results: dict[str, Any] = dataclasses.field(default_factory=dict)
    logs: list[LogEntry] = dataclasses.field(default_factory=list)
    failed: bool = False
    message: str = ''


# action-fail with no argument (worker/uniter/runner/jujuc/action-fail.go).
DEFAULT_FAIL_MESSAGE = 'action failed without reason given, check action for errors'


class UnitContext:
    """One dispatch's view of the model from one unit: reads now, writes at commit."""

    def __init__(
        self, model: model_.Model, unit: model_.Unit, action: ActionState | None = None
    ) -> None:
        self.model = model
        self.unit = unit
        self.action = action
        # Relation writes are staged per bag and committed only after a clean exit (J10).
        self._staged: dict[tuple[int, str], dict[str, str]] = {}
        # What juju-log puts before a message: `db:3: ` in a relation hook.
        self.log_prefix = ''

    # -- actions -------------------------------------------------------------------------

    def _running_action(self, tool: str) -> ActionState:
        if self.action is None:
            raise HookToolError(tool, 'not running an action')
        return self.action

    def action_get(self) -> dict[str, Any]:
        return actions.copy_json(self._running_action('action-get').params)

    def action_set(self, args: Sequence[str]) -> None:
        action = self._running_action('action-set')
        try:
            parsed = results_.parse_action_set_args(args, self.model.profile)
        except results_.ActionSetError as e:
            raise HookToolError('action-set', str(e), code=2) from None
        for path, value in parsed:
            results_.merge(action.results, path, value)

    def action_log(self, message: str) -> None:
        """Store the message; past the controller's limit it is dropped without a word
        (state/action.go `Log`: "exceeded 1000 log messages, action may be stuck")."""
        action = self._running_action('action-log')
        limit = self.model.profile.log_limit
        if limit is not None and len(action.logs) > limit:
            return
        action.logs.append(LogEntry(self.model.now(), message))
        self.model.changed.set()

    def action_fail(self, message: str | None = None) -> None:
        action = self._running_action('action-fail')
        action.failed = True
        action.message = DEFAULT_FAIL_MESSAGE if message is None else message

    # -- leadership, status, logging --------------------------------------------------------

    def is_leader(self) -> bool:
        return self.unit.application.leader == self.unit.name

    def juju_version(self) -> str:
        """The Juju version whose hook tools these are (their help differs)."""
        return self.model.profile.version

    def config_get(self) -> dict[str, Any]:
        """The application's config: set values, else defaults."""
        return self.unit.application.config

    def status_set(self, status: str, message: str = '', *, app: bool = False) -> None:
        valid = ('maintenance', 'blocked', 'waiting', 'active')
        if status not in valid:
            raise HookToolError(
                'status-set',
                f'invalid status "{status}", expected one of [{" ".join(valid)}]',
                code=2,
            )
        if app and not self.is_leader():
            raise HookToolError('status-set', 'this unit is not the leader')
        target = self.unit.application if app else self.unit
        target.status = (status, message)
        self.unit.status_set = self.unit.status_set or not app
        self.model.changed.set()

    def juju_log(self, message: str, level: str = 'INFO') -> None:
        module = f'unit.{self.unit.name}.juju-log'
        self.model.log(self.unit, level, module, f'{self.log_prefix}{message}')

    # -- relations ---------------------------------------------------------------------

    def _relation(self, tool: str, relation_id: int) -> model_.Relation:
        relation = self.model.relations.get(relation_id)
        if relation is None or self.unit.application.name not in relation.applications:
            raise HookToolError(tool, 'relation not found', code=2)
        return relation

    def relation_ids(self, endpoint: str) -> list[str]:
        app = self.unit.application
        return [
            f'{endpoint}:{r.id}'
            for r in list(self.model.relations.values())  # another thread may add one
            if r.endpoint_of(app.name) == endpoint
        ]

    def relation_list(self, relation_id: int) -> list[str]:
        relation = self._relation('relation-list', relation_id)
        return relation.remote_units(self.unit)

    def relation_app(self, relation_id: int) -> str:
        """The application on the other side, joined or not (`relation-list --app`)."""
        relation = self._relation('relation-list', relation_id)
        return relation.remote_app(self.unit.application.name)

    def relation_get(self, relation_id: int, owner: str, *, app: bool) -> dict[str, str]:
        relation = self._relation('relation-get', relation_id)
        own_app_bag = app and owner == self.unit.application.name and not relation.is_peer
        if own_app_bag and not self.is_leader():
            raise HookToolError('relation-get', 'permission denied')
        bag = dict(relation.data.get(owner, {}))
        bag.update(self._staged.get((relation_id, owner), {}))
        return {k: v for k, v in bag.items() if v != ''}

    def relation_set(self, relation_id: int, data: Mapping[str, str], *, app: bool) -> None:
        relation = self._relation('relation-set', relation_id)
        if app and not self.is_leader():
            raise HookToolError('relation-set', 'cannot write relation settings')
        owner = self.unit.application.name if app else self.unit.name
        self._staged.setdefault((relation.id, owner), {}).update(data)

    # -- commit ------------------------------------------------------------------------

    def commit(self) -> list[tuple[model_.Relation, str]]:
        """Apply staged relation writes; return the bags that really changed."""
        changed: list[tuple[model_.Relation, str]] = []
        for (relation_id, owner), writes in self._staged.items():
            relation = self.model.relations[relation_id]
            bag = relation.data.setdefault(owner, {})
            before = dict(bag)
            for key, value in writes.items():
                if value == '':
                    bag.pop(key, None)
                else:
                    bag[key] = value
            if bag != before:
                changed.append((relation, owner))
        self._staged.clear()
        return changed

    def __repr__(self) -> str:
        what = f'action {self.action.name!r}' if self.action else 'hook'
        return f'<UnitContext {self.unit.name} {what}>'
