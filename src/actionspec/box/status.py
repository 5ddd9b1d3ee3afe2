"""`juju status --format json|yaml` for a box model: the fields Juju 3.6 writes that a
client reads (jubilant's statustypes: model, machines, applications and their units).

Source: juju/juju cmd/juju/status/formatted.go (the JSON field names), and jubilant's
statustypes.py for which of them a client needs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from ..juju import goformat, model
from ..jujucli import commands

# The box's controller and cloud, as status and the model commands name them.
CONTROLLER = 'box'
CLOUD = 'box'

# The status of an application whose charm set none: the most severe of its units'
# (core/status: DeriveStatus), in Juju's order of severity.
_SEVERITY = ('error', 'blocked', 'maintenance', 'waiting', 'active', 'terminated', 'unknown')


def unit_statuses(unit: model.Unit) -> tuple[tuple[str, str], tuple[str, str]]:
    """A unit's workload and agent status as status shows them: a unit whose hook failed
    shows the failure as its workload status, and an idle agent (state/allwatcher.go;
    cmd/juju/status/formatter.go adds the other end of a relation hook's relation)."""
    if unit.agent_status[0] != 'error':
        return unit.status, unit.agent_status
    message = unit.agent_status[1]
    hook = unit.failed_hook
    if hook is not None and hook.relation is not None and not hook.relation.is_peer:
        other = hook.relation.remote_app(unit.application.name)
        message += f' for {other}:{hook.relation.endpoint_of(other)}'
    return ('error', message), ('idle', '')


def status_time(m: model.Model) -> str:
    """When a status was set, as Juju's status shows it (`02 Jan 2006 15:04:05Z`)."""
    moment = m.now().astimezone(datetime.timezone.utc)
    return moment.strftime('%d %b %Y %H:%M:%SZ')


def _charm(app: model.Application, charms: Mapping[str, tuple[str, int]]) -> tuple[str, int]:
    """The charm and revision an application runs (its metadata's name, revision 0, for
    one the box did not deploy)."""
    return charms.get(app.name, (app.meta.name, 0))


def _info(current: str, message: str, since: str) -> dict[str, str]:
    info = {'current': current, 'since': since}
    if message:
        info['message'] = message
    return info


def _app_status(app: model.Application) -> tuple[str, str]:
    if app.status[0] != 'unknown' or not app.units:
        return app.status
    shown = [unit_statuses(u)[0] for u in app.units.values()]
    return min(shown, key=lambda status: _SEVERITY.index(status[0]))


def status(m: model.Model, charms: Mapping[str, tuple[str, int]]) -> dict[str, Any]:
    """The model's status as `juju status --format json` holds it."""
    since = status_time(m)
    machines = sorted(
        {u.machine for app in m.applications.values() for u in app.units.values()}, key=int
    )
    return {
        'model': {
            'name': m.name,
            'type': 'iaas',
            'controller': CONTROLLER,
            'cloud': CLOUD,
            'region': 'default',
            'version': m.profile.agent_version,
            'model-status': _info('available', '', since),
            'sla': 'unsupported',
        },
        'machines': {
            machine: {
                'juju-status': _info('started', '', since),
                'hostname': f'box-{machine}',
                'dns-name': '127.0.0.1',
                'ip-addresses': ['127.0.0.1'],
                'instance-id': f'box-{machine}',
                'machine-status': _info('running', 'Running', since),
                'modification-status': _info('idle', '', since),
                'base': {'name': 'ubuntu', 'channel': '24.04'},
            }
            for machine in machines
        },
        'applications': {
            name: _application(m, app, since, _charm(app, charms))
            for name, app in m.applications.items()
        },
        'storage': {},
        'controller': {'timestamp': since.rpartition(' ')[2]},
    }


def _application(
    m: model.Model, app: model.Application, since: str, charm: tuple[str, int]
) -> dict[str, Any]:
    current, message = _app_status(app)
    relations: dict[str, list[dict[str, str]]] = {}
    for relation in m.relations.values():
        endpoint = relation.endpoint_of(app.name)
        if endpoint is not None:
            relations.setdefault(endpoint, []).append(
                {
                    'related-application': relation.remote_app(app.name),
                    'interface': app.meta.interface(endpoint),
                    'scope': 'global',
                }
            )
    return {
        'charm': f'local:{charm[0]}-{charm[1]}',
        'charm-origin': 'local',
        'charm-name': charm[0],
        'charm-rev': charm[1],
        'exposed': False,
        'base': {'name': 'ubuntu', 'channel': '24.04'},
        'application-status': _info(current, message, since),
        'relations': relations,
        'units': {name: _unit(app, unit, since) for name, unit in app.units.items()},
        'endpoint-bindings': {endpoint: 'alpha' for endpoint in ('', *app.endpoints)},
    }


def _unit(app: model.Application, unit: model.Unit, since: str) -> dict[str, Any]:
    workload, agent = unit_statuses(unit)
    return {
        'workload-status': _info(*workload, since),
        'juju-status': _info(*agent, since),
        'leader': app.leader == unit.name,
        'machine': unit.machine,
        'public-address': '127.0.0.1',
    }


def render(
    m: model.Model,
    fmt: str,
    *,
    utc: bool = False,
    charms: Mapping[str, tuple[str, int]] | None = None,
) -> str:
    """`juju status` in `fmt`; `charms` names each application's charm and revision."""
    charms = charms or {}
    if fmt == 'tabular':
        return tabular(m, charms, utc=utc)
    data = status(m, charms)
    return goformat.json_marshal(data) + '\n' if fmt == 'json' else goformat.yaml_v2(data)


# -- tabular ------------------------------------------------------------------------------

# Juju's status message column: at most this long, with an ellipsis (output_tabular.go).
MAX_MESSAGE = 120


def tabular(m: model.Model, charms: Mapping[str, tuple[str, int]], *, utc: bool = False) -> str:
    """`juju status` as a person reads it: the model, its applications, units and
    machines, each a table of its own (cmd/juju/status/output_tabular.go)."""
    moment = m.now()
    timestamp = (
        moment.astimezone(datetime.timezone.utc).strftime('%H:%M:%S')
        if utc
        else _local_timestamp(moment)
    )
    sections = [
        commands.table(
            [
                ['Model', 'Controller', 'Cloud/Region', 'Version', 'SLA', 'Timestamp'],
                [
                    m.name,
                    CONTROLLER,
                    f'{CLOUD}/default',
                    m.profile.agent_version,
                    'unsupported',
                    timestamp,
                ],
            ]
        )
    ]
    apps = sorted(m.applications.values(), key=lambda a: a.name)
    if apps:
        rows = [
            ['App', 'Version', 'Status', 'Scale', 'Charm', 'Channel', 'Rev', 'Exposed', 'Message']
        ]
        for app in apps:
            current, message = _app_status(app)
            version = next(
                (u.workload_version for u in app.units.values() if u.workload_version), ''
            )
            rows.append(
                [
                    app.name,
                    version if len(version) <= 15 else version[:12] + '...',
                    current,
                    _scale(app),
                    _charm(app, charms)[0],
                    '',
                    str(_charm(app, charms)[1]),
                    'no',
                    _truncated(message),
                ]
            )
        sections.append(commands.table(rows, right_aligned=(3, 6)))
        rows = [['Unit', 'Workload', 'Agent', 'Machine', 'Public address', 'Ports', 'Message']]
        for app in apps:
            for unit in sorted(app.units.values(), key=lambda u: u.number):
                (workload, message), (agent, agent_message) = unit_statuses(unit)
                if agent == 'allocating' and not message:
                    message = agent_message
                doing = _agent_doing(agent, agent_message)
                if doing:
                    message = f'({doing}) {message}'
                leader = '*' if app.leader == unit.name else ''
                rows.append(
                    [
                        f'{unit.name}{leader}',
                        workload,
                        agent,
                        unit.machine,
                        '127.0.0.1',
                        '',
                        _truncated(message),
                    ]
                )
        sections.append(commands.table(rows))
        machines = sorted({u.machine for a in apps for u in a.units.values()}, key=int)
        rows = [['Machine', 'State', 'Address', 'Inst id', 'Base', 'AZ', 'Message']]
        rows += [
            [n, 'started', '127.0.0.1', f'box-{n}', 'ubuntu@24.04', '', 'Running']
            for n in machines
        ]
        if machines:
            sections.append(commands.table(rows))
    return '\n'.join(sections)


def _local_timestamp(moment: datetime.datetime) -> str:
    """`15:04:05Z07:00` in local time: `Z` for UTC, else the offset."""
    local = moment.astimezone()
    offset = local.strftime('%z')
    zone = 'Z' if offset in ('+0000', '') else f'{offset[:3]}:{offset[3:]}'
    return local.strftime('%H:%M:%S') + zone


def _scale(app: model.Application) -> str:
    """`N` when every unit's agent is working, else `ready/N` (output_tabular.go)."""
    ready = sum(
        1
        for u in app.units.values()
        if unit_statuses(u)[1][0] in ('idle', 'executing') and u.status[0] != 'terminated'
    )
    total = len(app.units)
    return str(total) if ready == total else f'{ready}/{total}'


def _agent_doing(agent: str, message: str) -> str:
    """What an executing agent runs: a unit hook's name or an action's (`agentDoing`;
    a relation hook's name does not match its pattern, so shows nothing)."""
    if agent != 'executing':
        return ''
    hook = re.match(r'running ([a-z-]+) hook', message)
    if hook and '-relation-' not in hook[1]:
        return hook[1]
    action = re.match(r'running action (.*)', message)
    return action[1] if action else ''


def _truncated(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + '...'
