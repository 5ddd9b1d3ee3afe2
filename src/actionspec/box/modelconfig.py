"""`juju model-config` for a box model: Juju 3.6's keys with their defaults, what the
administrator set, and the layouts the client prints.

Sources (juju/juju 3.6): environs/config/config.go (`defaultConfigValues`, the schema's
types, the update-status interval's check), cmd/juju/model/config.go and
cmd/juju/config/config.go (tabular `Attribute From Value`; JSON `{"k":{"Value",
"Source"}}` with capitalised fields, the type having no JSON tags; one key printed by
juju/cmd's smart formatter: a bool as `True`), state/modelconfig.go (a value equal to its
default shows the source `default`).
"""

from __future__ import annotations

import pathlib
import re
from typing import TYPE_CHECKING, Any

from ..juju import goformat, render
from ..jujucli import commands, flags
from . import command

if TYPE_CHECKING:
    from .controller import Controller

_EMPTY = (
    'agent-metadata-url apt-ftp-proxy apt-http-proxy apt-https-proxy apt-mirror apt-no-proxy '
    'backup-dir cloudinit-userdata container-image-metadata-url container-inherit-properties '
    'container-networking-method default-base default-space egress-subnets fan-config '
    'ftp-proxy http-proxy https-proxy image-metadata-url juju-ftp-proxy juju-http-proxy '
    'juju-https-proxy logging-output resource-tags snap-http-proxy snap-https-proxy '
    'snap-store-assertions snap-store-proxy snap-store-proxy-url'
)
DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(_EMPTY.split(), ''),
    'agent-stream': 'released',
    'automatically-retry-hooks': True,
    'charmhub-url': 'https://api.charmhub.io',
    'container-image-metadata-defaults-disabled': False,
    'container-image-stream': 'released',
    'development': False,
    'disable-network-management': False,
    'disable-telemetry': False,
    'enable-os-refresh-update': True,
    'enable-os-upgrade': True,
    'firewall-mode': 'instance',
    'ignore-machine-addresses': False,
    'image-metadata-defaults-disabled': False,
    'image-stream': 'released',
    'juju-no-proxy': '127.0.0.1,localhost,::1',
    'logforward-enabled': False,
    'logging-config': '',
    'lxd-snap-channel': '5.0/stable',
    'max-action-results-age': '336h',
    'max-action-results-size': '5G',
    'max-status-history-age': '336h',
    'max-status-history-size': '5G',
    'mode': 'requires-prompts',
    'net-bond-reconfigure-delay': 17,
    'no-proxy': '127.0.0.1,localhost,::1',
    'num-container-provision-workers': 4,
    'num-provision-workers': 16,
    'provisioner-harvest-mode': 'destroyed',
    'proxy-ssh': False,
    'saas-ingress-allow': '0.0.0.0/0,::/0',
    'secret-backend': 'auto',
    'ssh-allow': '0.0.0.0/0,::/0',
    'ssl-hostname-verification': True,
    'test-mode': False,
    'transmit-vendor-metrics': True,
    'update-status-hook-interval': '5m',
}

# What every model holds from its creation, set by the controller (source `model`).
CREATED = {'agent-version': '3.6.12', 'logging-config': '<root>=INFO'}

# Keys only one command may change.
_FIXED = {'agent-version': 'upgrade-model', 'charmhub-url': 'add-model'}


def values(hosted: command.Hosted) -> dict[str, tuple[Any, str]]:
    """Every key: its value and where it comes from (`default` or `model`)."""
    shown = {key: (value, 'default') for key, value in DEFAULTS.items()}
    for key, value in {**CREATED, **hosted.config}.items():
        shown[key] = (value, 'default' if DEFAULTS.get(key, object()) == value else 'model')
    return dict(sorted(shown.items()))


def setting(hosted: command.Hosted, key: str) -> Any:
    return {**DEFAULTS, **CREATED, **hosted.config}.get(key)


def update_status_interval(hosted: command.Hosted) -> float:
    return flags.parse_duration(str(setting(hosted, 'update-status-hook-interval')))


def model_config(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju model-config [KEY | K=V ... | --reset K,...]`."""
    spec = (
        command.MODEL_FLAG,
        command.flag('format', 'choice', 'tabular', ('tabular', 'json', 'yaml')),
        command.flag('reset', 'append', ()),
        command.flag('file', 'string'),
        command.flag('color'),
        command.flag('no-color'),
    )
    opts, positional = command.parse(spec, words)
    reset = [key for word in opts['reset'] for key in word.split(',')]
    for key in reset:
        if '=' in key:
            raise command.Refused(
                f'--reset accepts a comma delimited set of keys "a,b,c", received: "{key}"',
                2,
            )
        if key in _FIXED:
            raise command.Refused(f'"{key}" cannot be reset', 2)
    pairs = [w for w in positional if '=' in w]
    gets = [w for w in positional if '=' not in w]
    if gets and (pairs or reset):
        raise command.Refused('cannot use --reset flag and get value simultaneously', 2)
    if len(gets) > 1:
        raise command.Refused('cannot specify multiple keys to get', 2)
    hosted = ctl.hosted(opts['model'])
    if pairs or reset:
        return _set(ctl, hosted, pairs, reset)
    shown = values(hosted)
    if gets:
        key = gets[0]
        if key not in shown:
            raise command.Refused(
                f'"{key}" is not a key of the currently targeted model: "admin/{hosted.name}"'
            )
        shown = {key: shown[key]}
        if opts['format'] == 'tabular':
            return command.done(stdout=_smart(shown[key][0]))
    if opts['format'] == 'json':
        data = {k: goformat.Struct({'Value': v, 'Source': s}) for k, (v, s) in shown.items()}
        return command.done(stdout=goformat.json_marshal(data) + '\n')
    if opts['format'] == 'yaml':
        data = {k: goformat.Struct({'value': v, 'source': s}) for k, (v, s) in shown.items()}
        return command.done(stdout=goformat.yaml_v2(data))
    rows = [['Attribute', 'From', 'Value']]
    rows += [[k, s, goformat.yaml_v2(v).rstrip('\n')] for k, (v, s) in shown.items()]
    return command.done(stdout=commands.table(rows))


def _smart(value: Any) -> str:
    """juju/cmd's smart format: a string as it is, a bool as Python spells it."""
    if isinstance(value, bool):
        return f'{value}\n'
    if isinstance(value, str):
        return f'{value}\n' if value else ''
    return goformat.yaml_v2(value)


def _set(
    ctl: Controller, hosted: command.Hosted, pairs: list[str], reset: list[str]
) -> render.CliOutput:
    warnings = []
    given: dict[str, Any] = {}
    for pair in pairs:
        key, _, text = pair.partition('=')
        if not key:
            raise command.Refused(f'expected "key=value", got "{pair}"', 2)
        if key in given:
            raise command.Refused(f'key "{key}" specified more than once', 2)
        if key in reset:
            raise command.Refused(f'cannot set and reset key "{key}" simultaneously', 2)
        if key in _FIXED:
            raise command.Refused(f'"{key}" must be set via "{_FIXED[key]}"')
        if key not in DEFAULTS and key not in CREATED:
            warnings.append(
                f'WARNING key "{key}" is not defined in the current model configuration: '
                'possible misspelling\n'
            )
        given[key] = typed(key, text)
    for key in reset:
        hosted.config.pop(key, None)
    hosted.config.update(given)
    ctl.configure(hosted)
    return command.done(''.join(warnings))


def typed(key: str, text: str) -> Any:
    """A value as the model's schema reads it (environs/config/config.go)."""
    default = DEFAULTS.get(key)
    if isinstance(default, bool):
        try:
            return goformat.parse_bool(text)
        except ValueError:
            raise command.Refused(f'{key}: expected bool, got string("{text}")') from None
    if isinstance(default, int):
        if not re.fullmatch(r'-?\d+', text):
            raise command.Refused(f'{key}: expected number, got string("{text}")')
        return int(text)
    if key == 'update-status-hook-interval':
        try:
            flags.parse_duration(text)
        except ValueError:
            raise command.Refused(
                'invalid update status hook interval in model configuration: '
                f'time: invalid duration "{text}"'
            ) from None
    return text
