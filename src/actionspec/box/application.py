"""The box's commands on applications and units: deploy, add-unit, remove-unit, integrate,
remove-relation, config and show-unit, each answering as Juju 3.6's client prints.

Sources (juju/juju 3.6): cmd/juju/application/deployer/charm.go (deploy's two lines on
stderr), addunit.go, removeunit.go, integrate.go, removerelation.go, config.go,
showunit.go (and its formatter: the fields and their order); state/state.go
(`AddApplication`, `InferEndpoints`: the error texts); state/charm.go (a local charm's
revision, one more on every upload of the same name).
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from .. import charmmeta
from ..juju import goformat, lifecycle, model, render
from ..launch import charmdir
from . import command, pack

if TYPE_CHECKING:
    from .controller import Controller

# Where the box says a charm runs (`juju deploy`'s message, status' `base`).
BASE = 'ubuntu@24.04/stable'


def deploy(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju deploy PATH [APP] [-n N] [--config k=v|FILE ...] [--resource r=v ...]
    [--trust] ...`: a charm directory or a `.charm` file, stored as Juju stores the
    charm it uploads, then started unit by unit as Juju starts them."""
    spec = (
        command.flag('num-units n', 'uint', 1),
        command.MODEL_FLAG,
        command.flag('config', 'append', ()),
        command.flag('resource', 'append', ()),
        command.flag('trust'),
        command.flag('base', 'string'),
        command.flag('channel', 'string'),
        command.flag('revision', 'string'),
        command.flag('constraints', 'append', ()),
        command.flag('to', 'string'),
        command.flag('force'),
        command.flag('bind', 'string'),
        command.flag('storage', 'append', ()),
        command.flag('attach-storage', 'append', ()),
        command.flag('dry-run'),
    )
    opts, positional = command.parse(spec, words)
    if not positional:
        raise command.Refused('no charm name specified', 2)
    if len(positional) > 2:
        raise command.Refused(f'unrecognized args: {goformat.quoted_list(positional[2:])}', 2)
    hosted = ctl.hosted(opts['model'])
    source = positional[0]
    if not source.startswith(('.', '/')):
        raise command.Refused(
            f'cannot deploy "{source}": the box deploys local charms only '
            '(a charm directory or a .charm file, given as a path)'
        )
    with tempfile.TemporaryDirectory(prefix='actionspec-deploy-') as scratch:
        unpacked, meta = _upload(cwd / source, pathlib.Path(scratch))
        name = positional[1] if len(positional) > 1 else meta.name
        if name in hosted.model.applications:
            raise command.Refused(
                f'cannot add application "{name}": application already exists: \n'
                'deploy application using an alias name:\n'
                '    juju deploy <application> <alias>\n'
                'or use remove-application to remove the existing one and try again.'
            )
        try:
            config = model.config_values(meta.config, _config_texts(opts['config'], name, cwd))
        except ValueError as e:
            raise command.Refused(str(e)) from None
        charm_dir, revision = _keep(hosted, unpacked, meta)
    app = charmdir.deploy_charm_dir(
        hosted.model,
        charm_dir,
        units=0,
        leader=None,
        name=name,
        runtime=ctl.charm_runtime(hosted.directory, charm_dir),
    )
    app.config_values.update(config)
    hosted.charms[name] = (meta.name, revision)
    if opts['trust']:
        hosted.trusted.add(name)
    lifecycle.add_units(hosted.model, name, opts['num-units'])
    return command.done(
        f'Located local charm "{meta.name}", revision {revision}\n'
        f'Deploying "{name}" from local charm "{meta.name}", revision {revision} on {BASE}\n'
    )


def _upload(
    source: pathlib.Path, scratch: pathlib.Path
) -> tuple[pathlib.Path, charmmeta.CharmMeta]:
    """The charm as the client uploads it: a directory is packed first; the archive is
    unpacked into `scratch` and its metadata read."""
    try:
        if source.is_dir():
            archive = pack.pack(source, scratch)
        elif source.is_file():
            archive = source
        else:
            raise command.Refused(f'no charm was found at "{source}"')
        unpacked = pack.unpack(archive, scratch / 'charm')
        return unpacked, charmmeta.CharmMeta.read(unpacked)
    except (pack.PackError, charmmeta.MetadataError, OSError) as e:
        raise command.Refused(f'invalid charm or bundle provided at "{source}": {e}') from None


def _keep(
    hosted: command.Hosted, unpacked: pathlib.Path, meta: charmmeta.CharmMeta
) -> tuple[pathlib.Path, int]:
    """Store an uploaded charm under the model's next revision of its name (state/charm.go:
    every upload of a local charm's name takes the next one)."""
    revision = hosted.revisions.get(meta.name, -1) + 1
    stored = command.stored_charm(hosted.directory, meta.name, revision)
    shutil.rmtree(stored, ignore_errors=True)
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(unpacked), stored)
    hosted.revisions[meta.name] = revision
    return stored, revision


def _config_texts(given: tuple[str, ...], name: str, cwd: pathlib.Path) -> dict[str, str]:
    """`--config k=v` words and YAML files (`{app: {k: v}}`, relative to the client's
    directory), as the CLI's text."""
    texts: dict[str, str] = {}
    for word in given:
        key, sep, value = word.partition('=')
        if sep:
            texts[key] = value
            continue
        try:
            data = yaml.safe_load((cwd / word).read_text(encoding='utf-8')) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            reason = ' '.join(str(e).split())
            raise command.Refused(f'cannot read config file "{word}": {reason}') from None
        section = data.get(name, {}) if isinstance(data, Mapping) else {}
        if not isinstance(section, Mapping):
            raise command.Refused(f'config file "{word}": "{name}" is not a mapping')
        texts.update({str(k): _text(v) for k, v in section.items()})
    return texts


def _text(value: Any) -> str:
    """A config file's value as the CLI would have written it."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def add_unit(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju add-unit APP [-n N]`: prints nothing; the new units start as Juju's do."""
    spec = (
        command.MODEL_FLAG,
        command.flag('num-units n', 'uint', 1),
        command.flag('to', 'string'),
        command.flag('attach-storage', 'append', ()),
    )
    opts, positional = command.parse(spec, words)
    if not positional:
        raise command.Refused('no application specified', 2)
    if opts['num-units'] < 1:
        raise command.Refused('--num-units must be a positive integer', 2)
    hosted = ctl.hosted(opts['model'])
    app = hosted.model.applications.get(positional[0])
    if app is None:
        raise command.Refused(f'application "{positional[0]}" not found')
    if app.dying:
        raise command.Refused(f'cannot add unit to application "{app.name}": not alive')
    lifecycle.add_units(hosted.model, app.name, opts['num-units'])
    return command.done()


# What remove-unit and remove-application both take.
REMOVAL_FLAGS = (
    command.MODEL_FLAG,
    command.flag('no-prompt'),
    command.flag('force'),
    command.flag('no-wait'),
    command.flag('destroy-storage'),
    command.flag('dry-run'),
)


def remove_unit(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju remove-unit --no-prompt UNIT ...`: `will remove unit X` for each; an unknown
    unit is named on stderr and the command exits 1."""
    spec = (*REMOVAL_FLAGS, command.flag('num-units', 'uint', 0))
    opts, names = command.parse(spec, words)
    if not names:
        raise command.Refused('no units specified', 2)
    for name in names:
        if not model.UNIT_NAME.match(name) or name.endswith('/leader'):
            raise command.Refused(f'invalid unit name "{name}"', 2)
    hosted = ctl.hosted(opts['model'])
    out, err = [], []
    for name in names:
        app = hosted.model.applications.get(name.partition('/')[0])
        unit = app.units.get(name) if app else None
        if unit is None:
            err.append(f'ERROR removing unit {name} failed: unit "{name}" does not exist\n')
            continue
        out.append(f'will remove unit {name}\n')
        if opts['dry-run']:
            continue
        if opts['force']:  # gone whatever its hooks do
            lifecycle.force_remove_unit(hosted.model, unit)
        elif unit.life == 'alive':
            lifecycle.remove_unit(hosted.model, unit)
    return render.CliOutput(''.join(out), ''.join(err), 1 if err else 0)


def remove_application(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju remove-application --no-prompt APP ...`: `will remove application X` for each
    (cmd/juju/application/removeapplication.go); its units leave as remove-unit has them."""
    opts, names = command.parse(REMOVAL_FLAGS, words)
    if not names:
        raise command.Refused('no application specified', 2)
    m = ctl.hosted(opts['model']).model
    out, err = [], []
    for name in names:
        app = m.applications.get(name)
        if app is None:
            err.append(
                f'ERROR removing application {name} failed: application "{name}" not found\n'
            )
            continue
        out.append(f'will remove application {name}\n')
        for unit in sorted(app.units.values(), key=lambda u: u.number):
            out.append(f'- will remove unit {unit.name}\n')
        if not app.dying and not opts['dry-run']:
            lifecycle.remove_application(m, app)
    return render.CliOutput(''.join(out), ''.join(err), 1 if err else 0)


def integrate(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju integrate A[:EP] B[:EP]`: prints nothing; the units enter the relation."""
    opts, ends = command.parse((command.MODEL_FLAG, command.flag('via', 'string')), words)
    if len(ends) != 2:
        raise command.Refused('an integration must involve two applications', 2)
    m = ctl.hosted(opts['model']).model
    first, second = _infer(m, ends[0], ends[1])
    for app_name, _ in (first, second):
        if m.applications[app_name].dying:
            raise command.Refused(f'application "{app_name}" is not alive')
    for relation in m.relations.values():
        if set(relation.ends) == {first, second} and not relation.dying:
            key = _relation_key(m, first, second)
            raise command.Refused(
                f'cannot add relation "{key}"\nrelation {key}: \n\n'
                "Use 'juju status --relations' to view the current relations."
            )
    lifecycle.integrate(m, f'{first[0]}:{first[1]}', f'{second[0]}:{second[1]}')
    return command.done()


def remove_relation(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju remove-relation A[:EP] B[:EP]`: prints nothing; the units leave it."""
    opts, ends = command.parse((command.MODEL_FLAG, command.flag('force')), words)
    if len(ends) != 2:
        raise command.Refused('a relation must involve two applications', 2)
    m = ctl.hosted(opts['model']).model
    found = [
        r
        for r in m.relations.values()
        if not r.is_peer and not r.dying and _matches(r, ends[0]) and _matches(r, ends[1])
    ]
    if not found:
        raise command.Refused(f'relation matching "{ends[0]} {ends[1]}" not found')
    lifecycle.remove_relation(m, found[0])
    return command.done()


def _matches(relation: model.Relation, spec: str) -> bool:
    app, _, endpoint = spec.partition(':')
    return any(a == app and (not endpoint or e == endpoint) for a, e in relation.ends)


def _infer(m: model.Model, first: str, second: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The one pair of endpoints the two words can mean: same interface, a requirer and a
    provider (state/state.go `InferEndpoints`)."""
    candidates = []
    for end_a in _endpoints(m, first):
        for end_b in _endpoints(m, second):
            meta_a = m.applications[end_a[0]].meta
            meta_b = m.applications[end_b[0]].meta
            roles = {meta_a.role(end_a[1]), meta_b.role(end_b[1])}
            if roles == {'requirer', 'provider'} and meta_a.interface(
                end_a[1]
            ) == meta_b.interface(end_b[1]):
                candidates.append((end_a, end_b))
    if not candidates:
        raise command.Refused('no relations found')
    if len(candidates) > 1:
        keys = sorted(f'"{_relation_key(m, *pair)}"' for pair in candidates)
        raise command.Refused(
            f'ambiguous relation: "{first} {second}" could refer to {"; ".join(keys)}'
        )
    return candidates[0]


def _endpoints(m: model.Model, spec: str) -> list[tuple[str, str]]:
    app_name, _, endpoint = spec.partition(':')
    app = m.applications.get(app_name)
    if app is None:
        raise command.Refused(f'application "{app_name}" not found')
    if endpoint and endpoint not in app.endpoints:
        raise command.Refused(f'application "{app_name}" has no "{endpoint}" relation')
    return [(app_name, e) for e in app.endpoints if not endpoint or e == endpoint]


def _relation_key(m: model.Model, *ends: tuple[str, str]) -> str:
    """A relation's key: the requirer's end first, then the provider's."""
    order = {'requirer': 0, 'provider': 1, 'peer': 2}
    ranked = sorted(ends, key=lambda end: order[m.applications[end[0]].meta.role(end[1])])
    return ' '.join(f'{app}:{endpoint}' for app, endpoint in ranked)


def config(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju config APP`: the settings; `juju config APP k=v ... --reset k2`: set them
    (cmd/juju/application/config.go; the layout of its `--format json|yaml`)."""
    spec = (
        command.flag('format', 'choice', 'yaml', ('yaml', 'json')),
        command.MODEL_FLAG,
        command.flag('reset', 'append', ()),
    )
    opts, positional = command.parse(spec, words)
    hosted = ctl.hosted(opts['model'])
    if not positional:
        raise command.Refused('no application name specified', 2)
    app = hosted.model.applications.get(positional[0])
    if app is None:
        raise command.Refused(f'application "{positional[0]}" not found')
    pairs = positional[1:]
    reset = [key for word in opts['reset'] for key in word.split(',') if key]
    if not pairs and not reset:
        trusted = app.name in hosted.trusted
        shown = {
            'application': app.name,
            'application-config': {
                'trust': {
                    'default': False,
                    'description': 'Does this application have access to trusted credentials',
                    'source': 'user' if trusted else 'default',
                    'type': 'bool',
                    'value': trusted,
                }
            },
            'charm': hosted.charms[app.name][0],
            'settings': _settings(app),
        }
        if opts['format'] == 'json':
            return command.done(stdout=goformat.json_marshal(shown) + '\n')
        return command.done(stdout=goformat.yaml_v2(shown))
    if len(pairs) == 1 and '=' not in pairs[0] and not reset:
        # One key: its value alone (juju/cmd's smart format), or the settings' entry.
        key = pairs[0]
        settings = _settings(app)
        if key not in settings:
            raise command.Refused(f'key "{key}" not found in "{app.name}" application config.')
        if opts['format'] != 'yaml':
            return command.done(stdout=goformat.json_marshal(settings[key]) + '\n')
        value = settings[key].get('value')
        if isinstance(value, bool):
            return command.done(stdout=f'{value}\n')
        return command.done(stdout='' if value in (None, '') else f'{value}\n')
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition('=')
        if not sep:
            raise command.Refused('can only retrieve a single value, or all values', 2)
        values[key] = value
    try:
        hosted.model.set_config(app.name, values, reset)
    except ValueError as e:
        raise command.Refused(str(e)) from None
    return command.done()


def _settings(app: model.Application) -> dict[str, Any]:
    """Each option as `juju config` shows it: default, description, source, type, value."""
    shown: dict[str, Any] = {}
    for name, option in app.config_options.items():
        entry: dict[str, Any] = {}
        if option.get('default') is not None:
            entry['default'] = option['default']
        entry['description'] = option.get('description', '')
        entry['source'] = 'user' if name in app.config_values else 'default'
        entry['type'] = option.get('type', 'string')
        if name in app.config:
            entry['value'] = app.config[name]
        shown[name] = entry
    return shown


def show_unit(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju show-unit UNIT ...`: what the unit is and what it sees of each relation."""
    spec = (
        command.flag('format', 'choice', 'yaml', ('yaml', 'json')),
        command.MODEL_FLAG,
        command.flag('endpoint', 'string'),
        command.flag('related-unit', 'string'),
        command.flag('app'),
    )
    opts, names = command.parse(spec, words)
    if not names:
        raise command.Refused('an unit name must be supplied', 2)
    bad = [n for n in names if not model.UNIT_NAME.match(n) or n.endswith('/leader')]
    if bad:
        noun = 'unit names' if len(bad) > 1 else 'unit name'
        raise command.Refused(f'{noun} {", ".join(bad)} not valid', 2)
    hosted = ctl.hosted(opts['model'])
    shown: dict[str, Any] = {}
    missing = []
    for name in sorted(names):
        app = hosted.model.applications.get(name.partition('/')[0])
        unit = app.units.get(name) if app else None
        if unit is None:
            missing.append(f'unit "{name}" not found')
            continue
        shown[name] = _unit_info(hosted, unit, opts['endpoint'], opts['app'])
    if missing:
        raise command.Refused('\n'.join(missing))
    json_format = opts['format'] == 'json'
    for info in shown.values():
        for item in info.get('relation-info', ()):
            if item['local-unit'] is None:
                # A struct Go's JSON never leaves out, and YAML does when it is empty.
                item['local-unit'] = goformat.Struct({'in-scope': False, 'data': None})
                if not json_format:
                    del item['local-unit']
    if json_format:
        return command.done(stdout=goformat.json_marshal(shown) + '\n')
    return command.done(stdout=goformat.yaml_v2(shown))


def _unit_info(
    hosted: command.Hosted, unit: model.Unit, endpoint: str, app_only: bool
) -> dict[str, Any]:
    info = goformat.Struct()
    if unit.workload_version:
        info['workload-version'] = unit.workload_version
    info['machine'] = unit.machine
    info['opened-ports'] = []
    info['public-address'] = '127.0.0.1'
    info['charm'] = hosted.charm_url(unit.application.name)
    info['leader'] = unit.application.leader == unit.name
    info['life'] = unit.life
    relations = [
        item
        for relation in hosted.model.relations.values()
        if (item := _relation_info(unit, relation, endpoint, app_only)) is not None
    ]
    if relations:
        info['relation-info'] = relations
    return info


def _relation_info(
    unit: model.Unit, relation: model.Relation, endpoint: str, app_only: bool
) -> dict[str, Any] | None:
    own = relation.endpoint_of(unit.application.name)
    if own is None or (endpoint and own != endpoint):
        return None
    other = relation.remote_app(unit.application.name)
    item = goformat.Struct(
        {
            'relation-id': relation.id,
            'endpoint': own,
            'related-endpoint': relation.endpoint_of(other),
            'application-data': dict(relation.data.get(other, {})),
        }
    )
    if relation.is_peer and not app_only and relation.data.get(unit.name):
        item['local-unit'] = goformat.Struct(
            {'in-scope': True, 'data': dict(relation.data[unit.name])}
        )
    else:
        item['local-unit'] = None  # left out of YAML; JSON shows an empty struct
    related = {}
    if not app_only:
        for remote in relation.remote_units(unit):
            data = dict(relation.data.get(remote, {}))
            related[remote] = goformat.Struct({'in-scope': True, 'data': data})
    if related:
        item['related-units'] = related
    if not (endpoint or item['application-data'] or related or item['local-unit']):
        return None
    return item
