"""What a charm declares, and the event names that follow from it.

A leaf of the package: the scenario loader, the controller, the charm side and the process
launcher all read a charm's metadata and name its events here, so the naming rule (C1) and
the metadata files have one home each.

Sources: canonical/operator ops/_main.py (`_get_event_args`, the dispatch path to event
name), ops/charm.py (`CharmEvents`, `CharmMeta`), juju/juju internal/charm/meta.go and
actions.go (metadata.yaml, actions.yaml; charmcraft.yaml carries the same keys).
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
from collections.abc import Mapping
from typing import Any

import yaml

# Hooks every charm has (ops/charm.py CharmEvents).
STANDARD_EVENTS = (
    'install',
    'start',
    'stop',
    'remove',
    'config_changed',
    'update_status',
    'upgrade_charm',
    'leader_elected',
    'leader_settings_changed',
)
RELATION_EVENTS = ('created', 'joined', 'changed', 'departed', 'broken')
COLLECT_STATUS_EVENTS = ('collect_app_status', 'collect_unit_status')


@functools.lru_cache(maxsize=1024)
def event_name(dispatch_path: str) -> str:
    """The event ops emits for a dispatch path (C1): `actions/a-b` -> `a_b_action`."""
    parent, _, name = dispatch_path.rpartition('/')
    name = name.replace('-', '_')
    if parent.rpartition('/')[2] == 'actions':
        name = f'{name}_action'
    return name


def action_event(action: str) -> str:
    """The event of an action (C1): `snapshot-database` -> `snapshot_database_action`."""
    return f'{action.replace("-", "_")}_action'


def is_action_event(event: str) -> bool:
    """Whether an event name is an action's (`action_event`'s form)."""
    return event.endswith('_action')


def relation_event(endpoint: str, suffix: str) -> str:
    """The event of a relation hook: `db`, `changed` -> `db_relation_changed`."""
    return f'{endpoint.replace("-", "_")}_relation_{suffix}'


class MetadataError(ValueError):
    """A charm's metadata files cannot be read; the text names the file."""


@dataclasses.dataclass(frozen=True)
class CharmMeta:
    """The parts of a charm's metadata that decide its actions and events."""

    name: str = 'charm'
    """The charm's name (metadata.yaml `name`)."""
    actions: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """actions.yaml as data: action name -> its entry (params, required, ...)."""
    requires: tuple[str, ...] = ()
    """Endpoints the charm requires."""
    provides: tuple[str, ...] = ()
    """Endpoints the charm provides."""
    peers: tuple[str, ...] = ()
    """Peer endpoints; Juju creates each peer relation when the application is deployed."""
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """config.yaml's `options` (or charmcraft.yaml's `config.options`): name -> option."""
    interfaces: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Each endpoint's interface, where it is not named after the endpoint."""

    def interface(self, endpoint: str) -> str:
        """The interface an endpoint speaks (`juju integrate` matches on it)."""
        return self.interfaces.get(endpoint, endpoint)

    def role(self, endpoint: str) -> str:
        """`requirer`, `provider` or `peer`, as Juju names an endpoint's role."""
        if endpoint in self.peers:
            return 'peer'
        return 'provider' if endpoint in self.provides else 'requirer'

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Every relation endpoint, peers last (the order relation hooks are named in)."""
        return (*self.requires, *self.provides, *self.peers)

    def events(self) -> tuple[str, ...]:
        """Every event the charm can observe: standard hooks, relation hooks, actions and
        collect-status."""
        return (
            *STANDARD_EVENTS,
            *(relation_event(e, s) for e in self.endpoints for s in RELATION_EVENTS),
            *(action_event(a) for a in self.actions),
            *COLLECT_STATUS_EVENTS,
        )

    def hooks(self) -> dict[str, str]:
        """Every hook Juju may run for the charm, by its file name in a classic charm's
        `hooks/`, with the event it is: `db-relation-changed` -> `db_relation_changed`."""
        return {
            **{event.replace('_', '-'): event for event in STANDARD_EVENTS},
            **{
                f'{endpoint}-relation-{suffix}': relation_event(endpoint, suffix)
                for endpoint in self.endpoints
                for suffix in RELATION_EVENTS
            },
        }

    @classmethod
    def read(cls, directory: pathlib.Path) -> CharmMeta:
        """Read a charm directory: metadata.yaml (or charmcraft.yaml) and actions.yaml
        (or charmcraft.yaml's `actions`). MetadataError names the file at fault."""
        meta = _read_mapping(directory / 'metadata.yaml')
        craft = _read_mapping(directory / 'charmcraft.yaml')
        if meta is None and craft is None:
            raise MetadataError(f'{directory}: no metadata.yaml or charmcraft.yaml')
        declared = meta if meta is not None else craft or {}
        actions = _read_mapping(directory / 'actions.yaml')
        if actions is None:
            actions = (craft or {}).get('actions') or {}
        config = _read_mapping(directory / 'config.yaml')
        if config is None:
            config = (craft or {}).get('config') or {}
        endpoints = {
            str(name): entry
            for kind in ('requires', 'provides', 'peers')
            for name, entry in dict(declared.get(kind) or {}).items()
        }
        return cls(
            name=str(declared.get('name') or directory.name),
            actions=dict(actions),
            requires=tuple(declared.get('requires') or {}),
            provides=tuple(declared.get('provides') or {}),
            peers=tuple(declared.get('peers') or {}),
            config=dict(config.get('options') or {}),
            interfaces={
                name: str(entry['interface'])
                for name, entry in endpoints.items()
                if isinstance(entry, Mapping) and entry.get('interface', name) != name
            },
        )

    def metadata(self) -> dict[str, Any]:
        """metadata.yaml as data; each endpoint's interface is named after it."""
        meta: dict[str, Any] = {'name': self.name}
        for key, names in (
            ('requires', self.requires),
            ('provides', self.provides),
            ('peers', self.peers),
        ):
            if names:
                meta[key] = {n: {'interface': self.interface(n)} for n in names}
        return meta

    def write(self, directory: pathlib.Path) -> None:
        """Write metadata.yaml, actions.yaml and (with options) config.yaml into
        `directory`, as a charm ships them."""
        (directory / 'metadata.yaml').write_text(yaml.safe_dump(self.metadata()), encoding='utf-8')
        (directory / 'actions.yaml').write_text(
            yaml.safe_dump(dict(self.actions)), encoding='utf-8'
        )
        if self.config:
            config = yaml.safe_dump({'options': dict(self.config)})
            (directory / 'config.yaml').write_text(config, encoding='utf-8')


def _read_mapping(path: pathlib.Path) -> dict[str, Any] | None:
    """A YAML file holding a mapping; None when the file is absent."""
    try:
        text = path.read_text(encoding='utf-8')
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise MetadataError(f'{path}: {e}') from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise MetadataError(f'{path}: {" ".join(str(e).split())}') from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MetadataError(f'{path}: expected a mapping, got {type(data).__name__}')
    return data
