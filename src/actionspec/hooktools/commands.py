"""The hook tools' command line, as Juju's jujuc commands parse and answer it.

Arguments are parsed the way juju/gnuflag parses them (flags may follow arguments, `--`
ends flags, single-dash letters cluster); refusals print `ERROR <message>` and exit 2 when
the arguments are wrong, 1 when the command fails (juju/cmd `Main`). Outputs follow
juju/cmd's formatters (smart, yaml, json). Every rule of the model is applied by the hook
context (`juju.context`), never here. Sources: juju/juju 3.6
worker/uniter/runner/jujuc/*.go, juju/cmd output.go, juju/gnuflag flag.go.
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from ..juju import context, goformat
from ..jujucli import flags as gnuflag


class UsageError(Exception):
    """Refused before running: exit 2."""


@dataclasses.dataclass(frozen=True)
class Flag:
    names: tuple[str, ...]  # e.g. ('r', 'relation'); one letter: -r, longer: --relation
    dest: str
    takes_value: bool = True


@dataclasses.dataclass(frozen=True)
class ToolResult:
    stdout: str = ''
    stderr: str = ''
    code: int = 0


FORMAT = Flag(('format',), 'format')
OUTPUT = Flag(('o', 'output'), 'output')
RELATION = Flag(('r', 'relation'), 'relation')
APP = Flag(('app',), 'app', takes_value=False)


def parse(argv: Sequence[str], flags: Sequence[Flag]) -> tuple[dict[str, Any], list[str]]:
    """gnuflag's parsing, as the `juju` client's (`jujucli.flags`), with jujuc's word
    "flag" in its errors; only the flags given appear in the result."""
    specs = [
        gnuflag.Flag(
            (flag.dest, *(n for n in flag.names if n != flag.dest)),
            'choice' if flag.dest == 'format' else 'string' if flag.takes_value else 'bool',
            None,
            '',
            ('smart', 'yaml', 'json') if flag.dest == 'format' else (),
            lambda value: f'unknown format "{value}"',
        )
        for flag in flags
    ]
    try:
        opts, positional = gnuflag.parse(specs, argv, known_as='flag')
    except gnuflag.FlagError as e:
        raise UsageError(str(e)) from None
    except gnuflag.HelpRequested:  # a tool whose help this kit does not have (see HELP_*)
        raise UsageError('flag provided but not defined: --help') from None
    return {k: v for k, v in opts.items() if v is not None}, positional


def _unrecognized(args: Sequence[str]) -> UsageError:
    quoted = ' '.join(f'"{a}"' for a in args)
    return UsageError(f'unrecognized args: [{quoted}]')


def formatted(value: Any, fmt: str) -> str:
    """juju/cmd's formatters: smart (the default), yaml, json."""
    if fmt == 'json':
        return goformat.json_marshal(value) + '\n'
    if value is None:
        return ''
    if fmt == 'smart':
        if isinstance(value, bool):
            return 'True\n' if value else 'False\n'
        if isinstance(value, str):
            return f'{value}\n' if value else ''
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ''.join(f'{v}\n' for v in value)
    return goformat.yaml_v2(value)


def _relation_id(raw: str | None, ctx: context.HookTools) -> int:
    """`-r endpoint:3` or `-r 3`: the part after the last colon must be a number."""
    if raw is None:
        raise UsageError('no relation id specified')
    try:
        return int(raw.rpartition(':')[2])
    except ValueError:
        raise UsageError(f'invalid value "{raw}" for flag -r: invalid relation id') from None


def _lookup(params: Any, path: str) -> Any:
    node = params
    for key in path.split('.'):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


# -- the tools -----------------------------------------------------------------------------

Tool = Callable[[context.HookTools, Sequence[str], str | None], str]


def action_get(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [FORMAT, OUTPUT])
    if len(args) > 1:
        raise _unrecognized(args[1:])
    params = ctx.action_get()
    value = _lookup(params, args[0]) if args else params
    return formatted(value, opts.get('format', 'smart'))


def action_set(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    _, args = parse(argv, [])
    ctx.action_set(args)
    return ''


def action_log(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    _, args = parse(argv, [])
    if not args:
        raise UsageError('no message specified')
    ctx.action_log(' '.join(args))
    return ''


def action_fail(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    _, args = parse(argv, [])
    if len(args) > 1:
        raise _unrecognized(args[1:])
    ctx.action_fail(args[0] if args else None)
    return ''


def is_leader(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [FORMAT, OUTPUT])
    if args:
        raise _unrecognized(args)
    return formatted(ctx.is_leader(), opts.get('format', 'smart'))


def juju_log(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    flags = [
        Flag(('debug',), 'debug', takes_value=False),
        Flag(('l', 'log-level'), 'level'),
        FORMAT,
    ]
    opts, args = parse(argv, flags)
    if not args:
        raise UsageError('no message specified')
    level = 'DEBUG' if opts.get('debug') else str(opts.get('level', 'INFO')).upper()
    ctx.juju_log(' '.join(args), level)
    return ''


def status_set(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [Flag(('application',), 'application', takes_value=False)])
    if not args:
        raise UsageError('invalid args, require <status> [message]')
    if len(args) > 2:
        raise _unrecognized(args[2:])
    ctx.status_set(args[0], args[1] if len(args) > 1 else '', app=bool(opts.get('application')))
    return ''


def relation_ids(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [FORMAT, OUTPUT])
    if not args:
        raise UsageError('no endpoint name specified')
    if len(args) > 1:
        raise _unrecognized(args[1:])
    return formatted(sorted(ctx.relation_ids(args[0])), opts.get('format', 'smart'))


def relation_list(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [RELATION, APP, FORMAT, OUTPUT])
    if args:
        raise _unrecognized(args)
    rid = _relation_id(opts.get('relation'), ctx)
    if opts.get('app'):
        return formatted(ctx.relation_app(rid), opts.get('format', 'smart'))
    return formatted(ctx.relation_list(rid), opts.get('format', 'smart'))


def relation_get(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [RELATION, APP, FORMAT, OUTPUT])
    rid = _relation_id(opts.get('relation'), ctx)
    if len(args) > 2:
        raise _unrecognized(args[2:])
    key = args[0] if args and args[0] != '-' else None
    if len(args) < 2:
        raise UsageError('no unit or application specified')
    owner = args[1]
    app = bool(opts.get('app'))
    if app:
        owner = owner.split('/')[0]
    elif '/' not in owner:
        raise UsageError(f'expected unit name, got application name "{owner}"')
    bag = ctx.relation_get(rid, owner, app=app)
    return formatted(bag.get(key) if key else bag, opts.get('format', 'smart'))


def relation_set(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [RELATION, APP, Flag(('file',), 'file'), FORMAT])
    rid = _relation_id(opts.get('relation'), ctx)
    data: dict[str, str] = {}
    if 'file' in opts:
        loaded = yaml.safe_load(_settings_file(opts['file'], stdin)) or {}
        if not isinstance(loaded, dict):
            raise context.HookToolError('relation-set', 'expected YAML map of settings')
        data.update({str(k): '' if v is None else str(v) for k, v in loaded.items()})
    for arg in args:
        if not arg:
            continue
        key, sep, value = arg.partition('=')
        if not sep or not key.strip():
            raise UsageError(f'expected "key=value", got "{arg}"')
        data[key.strip()] = value.strip()
    ctx.relation_set(rid, data, app=bool(opts.get('app')))
    return ''


def _settings_file(path: str, stdin: str | None) -> str:
    """What `--file` names: standard input for `-`, else a file the unit agent reads
    itself, as Juju's does (juju/cmd FileVar, on the same machine as the charm). The
    charm's working directory does not reach the server, so a relative path is refused."""
    if path == '-':
        return stdin or ''
    if not pathlib.PurePath(path).is_absolute():
        raise UsageError(f'--file {path}: only an absolute path (or -) is supported here')
    try:
        return pathlib.Path(path).read_text(encoding='utf-8')
    except OSError as e:  # Go's words: `open /x: no such file or directory`
        said = e.strerror or str(e)
        said = said[:1].lower() + said[1:]
        raise context.HookToolError('relation-set', f'open {path}: {said}') from None
    except UnicodeDecodeError as e:
        raise context.HookToolError('relation-set', f'{path}: {e}') from None


def config_get(ctx: context.HookTools, argv: Sequence[str], stdin: str | None) -> str:
    opts, args = parse(argv, [FORMAT, OUTPUT, Flag(('a', 'all'), 'all', takes_value=False)])
    if len(args) > 1:
        raise _unrecognized(args[1:])
    config = ctx.config_get()
    return formatted(config.get(args[0]) if args else config, opts.get('format', 'smart'))


TOOLS: dict[str, Tool] = {
    'action-get': action_get,
    'action-set': action_set,
    'action-log': action_log,
    'action-fail': action_fail,
    'is-leader': is_leader,
    'juju-log': juju_log,
    'status-set': status_set,
    'relation-ids': relation_ids,
    'relation-list': relation_list,
    'relation-get': relation_get,
    'relation-set': relation_set,
    'config-get': config_get,
}


# `--help` of the hook tools, as juju/cmd lays it out (Usage, Summary, Options, Details,
# Examples), kept as files beside this module so no editor strips their trailing spaces
# and tabs. `<tool>.3.6.txt` is what 3.6.0 and later print (worker/uniter/runner/jujuc/
# *.go as of 3.6-rc1; 4.0's main prints the same); `<tool>.3.6-beta2.txt` is the older
# text, verbatim from 3.6-beta2's jujuc tests, which 2.9 prints too (2.9's action-set has
# no reserved keys to speak of: `action-set.2.9.txt`). The relation tools' help is the
# one printed outside a relation hook: these tools take no default relation.
HELP_DIR = pathlib.Path(__file__).with_name('help')
_HELP_ERA = {'2.9': ('2.9', '3.6-beta2'), '3.6': ('3.6',), '4.0': ('3.6',)}


@functools.cache
def help_text(tool: str, juju_version: str) -> str | None:
    """`<tool> --help` for this Juju version, or None where its text is not known here."""
    for era in _HELP_ERA.get(juju_version, ('3.6',)):
        path = HELP_DIR / f'{tool}.{era}.txt'
        if path.exists():
            return path.read_text(encoding='utf-8')
    return None


def _asks_for_help(argv: Sequence[str]) -> bool:
    flags = argv[: argv.index('--')] if '--' in argv else argv
    return any(arg in ('-h', '--help') for arg in flags)


def run(tool: str, argv: Sequence[str], stdin: str | None, ctx: context.HookTools) -> ToolResult:
    """Run one hook tool as Juju would: its stdout, its stderr, its exit status."""
    command = TOOLS.get(tool)
    if command is None:
        return ToolResult('', f'ERROR bad request: unknown command: {tool}\n', 1)
    if _asks_for_help(argv):
        shown = help_text(tool, ctx.juju_version())
        if shown is not None:  # help goes to stdout and exits 0 (juju/cmd gnuflag.ErrHelp)
            return ToolResult(shown)
    try:
        return ToolResult(command(ctx, argv, stdin))
    except UsageError as e:
        return ToolResult('', f'ERROR {e}\n', 2)
    except context.HookToolError as e:
        message = e.message
        if message == 'relation not found':
            raw = _flag_value(argv, RELATION)
            message = f'invalid value "{raw}" for flag -r: relation not found'
        return ToolResult('', f'ERROR {message}\n', e.code)


def _flag_value(argv: Sequence[str], flag: Flag) -> str:
    try:
        opts, _ = parse(argv, [flag, APP, FORMAT, OUTPUT, Flag(('file',), 'file')])
    except UsageError:
        return ''
    return str(opts.get(flag.dest, ''))
