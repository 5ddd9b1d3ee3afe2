"""`juju status --format json|yaml` for a box model: the fields Juju 3.6 writes that a
client reads (jubilant's statustypes: model, machines, applications and their units).

Source: juju/juju cmd/juju/status/formatted.go (the JSON field names), and jubilant's
statustypes.py for which of them a client needs.
"""

from __future__ import annotations

import datetime
from typing import Any

from ..juju import goformat, model

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


def _since(m: model.Model) -> str:
    """When a status was set, as Juju's status shows it (`02 Jan 2006 15:04:05Z`)."""
    moment = m.now().astimezone(datetime.timezone.utc)
    return moment.strftime('%d %b %Y %H:%M:%SZ')


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


def status(m: model.Model) -> dict[str, Any]:
    """The model's status as `juju status --format json` holds it."""
    since = _since(m)
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
            name: _application(m, app, since) for name, app in m.applications.items()
        },
        'storage': {},
        'controller': {'timestamp': since.rpartition(' ')[2]},
    }


def _application(m: model.Model, app: model.Application, since: str) -> dict[str, Any]:
    current, message = _app_status(app)
    relations: dict[str, list[dict[str, str]]] = {}
    for relation in m.relations.values():
        endpoint = relation.endpoint_of(app.name)
        if endpoint is not None:
            relations.setdefault(endpoint, []).append(
                {
                    'related-application': relation.remote_app(app.name),
                    'interface': endpoint,
                    'scope': 'global',
                }
            )
    return {
        'charm': f'local:{app.name}-0',
        'charm-origin': 'local',
        'charm-name': app.name,
        'charm-rev': 0,
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


def render(m: model.Model, fmt: str) -> str:
    data = status(m)
    return goformat.json_marshal(data) + '\n' if fmt == 'json' else goformat.yaml_v2(data)
