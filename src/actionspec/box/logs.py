"""`juju debug-log` for a box model: its log lines as the client prints them.

Line: `<entity>: <HH:MM:SS> <LEVEL> <module> <message>`, in local time unless `--utc`
(cmd/juju/commands/debuglog.go `writeLogRecord`). The box's client never follows the log:
it prints what there is, as Juju's does when its output is not a terminal (`--no-tail` is
then the default); `-n/--lines` (default 10) counts back from the end unless `--replay`,
`--limit` stops after that many lines.
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Any

from ..juju import goformat, model, render
from . import command

if TYPE_CHECKING:
    from .controller import Controller

# The levels `--level` takes: Juju's, but for CRITICAL (debuglog.go `Init`).
LEVELS = model.LOG_LEVELS[:-1]


def debug_log(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    spec = (
        command.MODEL_FLAG,
        command.flag('lines n', 'uint', 10),
        command.flag('limit', 'uint', 0),
        command.flag('replay'),
        command.flag('no-tail'),
        command.flag('tail'),
        command.flag('level l', 'string'),
        command.flag('include i', 'append', ()),
        command.flag('exclude x', 'append', ()),
        command.flag('include-module', 'append', ()),
        command.flag('exclude-module', 'append', ()),
        command.flag('utc'),
        command.flag('date'),
        command.flag('ms'),
        command.flag('color'),
        command.flag('no-color'),
        command.flag('location'),
        command.flag('retry'),
        command.flag('retry-delay', 'duration', 1.0),
        command.flag('format', 'choice', 'text', ('text', 'json')),
    )
    opts, positional = command.parse(spec, words)
    if positional:
        raise command.Refused(f'unrecognized args: {goformat.quoted_list(positional)}', 2)
    level = opts['level'].upper()
    if level and level not in LEVELS:
        choices = ', '.join(f'"{name}"' for name in LEVELS)
        raise command.Refused(f'level value "{opts["level"]}" is not one of {choices}', 2)
    if opts['tail'] and opts['no-tail']:
        raise command.Refused('setting --tail and --no-tail not valid', 2)
    m = ctl.hosted(opts['model']).model
    records = [r for r in m.debug_log if _wanted(r, opts, level)]
    if not opts['replay']:
        records = records[-opts['lines'] :] if opts['lines'] else []
    if opts['limit']:
        records = records[: opts['limit']]
    return command.done(stdout=''.join(_line(r, opts) for r in records))


def _entity(name: str) -> str:
    """A unit or application as debug-log's filters name it (`demo/0` -> `unit-demo-0`,
    `demo` -> `unit-demo-*`)."""
    if name.startswith(('unit-', 'machine-')):
        return name
    if '/' in name:
        return 'unit-' + name.replace('/', '-')
    return f'unit-{name}-*' if not name.isdigit() else f'machine-{name}'


def _matches(entity: str, patterns: list[str]) -> bool:
    return any(entity == p or (p.endswith('*') and entity.startswith(p[:-1])) for p in patterns)


def _wanted(record: model.LogRecord, opts: dict[str, Any], level: str) -> bool:
    if level and model.LOG_LEVELS.index(record.level) < model.LOG_LEVELS.index(level):
        return False
    include = [_entity(name) for name in opts['include']]
    exclude = [_entity(name) for name in opts['exclude']]
    if include and not _matches(record.entity, include):
        return False
    if exclude and _matches(record.entity, exclude):
        return False
    modules_in = list(opts['include-module'])
    modules_out = list(opts['exclude-module'])
    if modules_in and not any(record.module.startswith(m) for m in modules_in):
        return False
    return not any(record.module.startswith(m) for m in modules_out)


def _line(record: model.LogRecord, opts: dict[str, Any]) -> str:
    moment = record.timestamp if opts['utc'] else record.timestamp.astimezone()
    shown = moment.strftime('%Y-%m-%d %H:%M:%S' if opts['date'] else '%H:%M:%S')
    if opts['ms']:
        shown += f'.{moment.microsecond // 1000:03d}'
    return f'{record.entity}: {shown} {record.level} {record.module} {record.message}\n'
