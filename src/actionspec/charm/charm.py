"""The charm API a handler sees: Charm, ActionEvent, relation data, status.

Shaped like ops (ops/charm.py, ops/model.py) so a charm written here reads like an ops
charm; every call into Juju goes through the dispatch's hook tools.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, ClassVar

from .. import environment, errors
from . import framework as framework_

ModelError = errors.ModelError


# ops/model.py `_ACTION_RESULT_KEY_REGEX`: checked on each key at each nesting level, before
# the keys are joined, so a top-level 'a.b' passes.
_RESULT_KEY = re.compile(r'^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$')


def flatten_results(results: Mapping[str, Any], _parent: str = '') -> dict[str, Any]:
    """Flatten nested mappings into dotted keys and check them as ops does (C6).

    Raises ValueError for a key that is not a string, does not match ops' pattern, or
    collides with another after flattening.
    """
    return _flatten(results, _parent, {})


def _flatten(results: Mapping[str, Any], parent: str, out: dict[str, Any]) -> dict[str, Any]:
    for key, value in results.items():
        if not isinstance(key, str):
            raise ValueError(f'invalid key {key!r}; must be a string')
        if not _RESULT_KEY.match(key):
            raise ValueError(
                f"key '{key}' is invalid: must be similar to 'key', 'some-key2', or 'some.key'"
            )
        full = f'{parent}.{key}' if parent else key
        if isinstance(value, dict) or isinstance(value, Mapping):  # noqa: SIM101 (dict first: fast)
            _flatten(value, full, out)
        elif full in out:
            raise ValueError(
                f"duplicate key detected in dictionary passed to 'action-set': {full!r}"
            )
        else:
            out[full] = value
    return out


class HookEvent(framework_.EventBase):
    """An event Juju dispatched: install, config-changed, update-status, ..."""

    __slots__ = ()


class ActionEvent(framework_.EventBase):
    """An administrator's action on this unit (C5-C7)."""

    __slots__ = ('id', 'params')

    def __init__(self, framework: framework_.Framework, name: str, snapshot: Mapping[str, str]):
        super().__init__(framework, name, snapshot)
        self.params: dict[str, Any] = framework.tools.action_get()
        self.id: str = framework.env.get(environment.ACTION_UUID, '')

    def defer(self) -> None:
        """Actions run once, now: they cannot be deferred (C4)."""
        raise RuntimeError('cannot defer action events')

    def set_results(self, results: Mapping[str, Any]) -> None:
        """Report results: nested mappings become dotted keys, values become strings (C6)."""
        flat = flatten_results(results)
        self.framework.tools.action_set([f'{k}={v}' for k, v in flat.items()])

    def log(self, message: str) -> None:
        """Tell the administrator how the action is going (C7)."""
        self.framework.tools.action_log(message)

    def fail(self, message: str = '') -> None:
        """Mark the task failed; the handler keeps running (C7)."""
        self.framework.tools.action_fail(message)


class RelationEvent(HookEvent):
    """A relation hook: which relation, and which remote unit or application changed."""

    __slots__ = ()

    @property
    def relation(self) -> Relation:
        name, _, rid = self.snapshot['relation'].partition(':')
        return Relation(self.framework, name, int(rid))

    @property
    def remote_unit(self) -> str | None:
        return self.snapshot.get('unit') or None

    @property
    def remote_app(self) -> str | None:
        return self.snapshot.get('app') or None


@dataclasses.dataclass(frozen=True)
class Status:
    """A workload status (`status-set`): a name and a message."""

    name: ClassVar[str] = 'unknown'
    message: str = ''

    # ops/model.py StatusBase: when several are collected, the most severe wins.
    priority: ClassVar[int] = 0


class ErrorStatus(Status):
    name = 'error'
    priority = 5


class BlockedStatus(Status):
    name = 'blocked'
    priority = 4


class MaintenanceStatus(Status):
    name = 'maintenance'
    priority = 3


class WaitingStatus(Status):
    name = 'waiting'
    priority = 2


class ActiveStatus(Status):
    name = 'active'
    priority = 1


class CollectStatusEvent(framework_.EventBase):
    """Asks observers for statuses; the most severe one is set after the dispatch (C3)."""

    __slots__ = ('statuses',)

    def __init__(self, framework: framework_.Framework, name: str, snapshot: Mapping[str, str]):
        super().__init__(framework, name, snapshot)
        self.statuses: list[Status] = []

    def add_status(self, status: Status) -> None:
        if not isinstance(status, Status):
            raise TypeError(f'status should be a Status, not {type(status).__name__}')
        self.statuses.append(status)


class RelationDataBag(MutableMapping[str, str]):
    """One data bag of a relation: read with `relation-get`, written with `relation-set`."""

    def __init__(self, framework: framework_.Framework, relation_id: int, owner: str) -> None:
        self._tools = framework.tools
        self._relation_id = relation_id
        self._owner = owner
        self._app = '/' not in owner

    def _read(self) -> dict[str, str]:
        return self._tools.relation_get(self._relation_id, self._owner, app=self._app)

    def __getitem__(self, key: str) -> str:
        return self._read()[key]

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f'relation data values must be strings, not {type(value).__name__}')
        self._tools.relation_set(self._relation_id, {key: value}, app=self._app)

    def __delitem__(self, key: str) -> None:
        self._tools.relation_set(self._relation_id, {key: ''}, app=self._app)

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __repr__(self) -> str:
        return f'RelationDataBag({self._owner!r}, {self._read()!r})'


class RelationData(Mapping[Any, RelationDataBag]):
    """`relation.data[unit_or_app]`: the bags of a relation, keyed as in ops."""

    def __init__(self, relation: Relation) -> None:
        self._relation = relation

    def __getitem__(self, owner: Unit | Application | str) -> RelationDataBag:
        name = owner if isinstance(owner, str) else owner.name
        return RelationDataBag(self._relation.framework, self._relation.id, name)

    def __iter__(self) -> Iterator[str]:
        relation = self._relation
        local = relation.framework.unit
        return iter([local, local.split('/')[0], *relation.units, relation.app])

    def __len__(self) -> int:
        return len(list(iter(self)))


class Relation:
    """One relation this unit takes part in, named `<endpoint>:<id>` as Juju names it."""

    def __init__(self, framework: framework_.Framework, name: str, relation_id: int) -> None:
        self.framework = framework
        self.name = name
        self.id = relation_id
        self.data = RelationData(self)

    @property
    def units(self) -> list[str]:
        """The remote units this unit sees (`relation-list`)."""
        return list(self.framework.tools.relation_list(self.id))

    @property
    def app(self) -> str:
        """The application on the other side (this one, for a peer relation)."""
        units = self.units
        return units[0].split('/')[0] if units else ''

    def __repr__(self) -> str:
        return f'Relation({self.name}:{self.id})'


class Application:
    """An application, as a charm names it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f'Application({self.name!r})'


class Unit:
    """This unit, as its charm sees it."""

    def __init__(self, framework: framework_.Framework) -> None:
        self._framework = framework
        self.name = framework.unit
        self.app = Application(self.name.split('/')[0])

    def is_leader(self) -> bool:
        return bool(self._framework.tools.is_leader())

    def set_status(self, status: Status) -> None:
        self._framework.tools.status_set(status.name, status.message)

    def __repr__(self) -> str:
        return f'Unit({self.name!r})'


class Model:
    """What the charm can look up: its relations (as `self.model` in ops)."""

    def __init__(self, framework: framework_.Framework) -> None:
        self._framework = framework

    def relations(self, endpoint: str) -> list[Relation]:
        """This unit's relations on `endpoint`."""
        ids = self._framework.tools.relation_ids(endpoint)
        return [Relation(self._framework, endpoint, int(r.split(':')[1])) for r in ids]

    def get_relation(self, endpoint: str, relation_id: int | None = None) -> Relation | None:
        """The relation on `endpoint` (the one with `relation_id`, if given), or None.

        As in ops, more than one relation on the endpoint without an id is an error.
        """
        found = self.relations(endpoint)
        if relation_id is not None:
            found = [r for r in found if r.id == relation_id]
        if len(found) > 1:
            raise errors.ModelError(f'{endpoint!r} has more than one relation; give an id')
        return found[0] if found else None


class Charm:
    """Base class of a reference charm: subclass it and observe events in `__init__`."""

    def __init__(self, framework: framework_.Framework) -> None:
        self.framework = framework
        self.on = framework.on

    @functools.cached_property
    def unit(self) -> Unit:
        """This unit."""
        return Unit(self.framework)

    @functools.cached_property
    def app(self) -> Application:
        """This unit's application."""
        return self.unit.app

    @functools.cached_property
    def model(self) -> Model:
        """Relations and other things the charm can look up."""
        return Model(self.framework)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} on {self.unit.name}>'
