"""Juju's action commands over a model: `run`, `show-task`, `show-operation`, `operations`,
`cancel-task`, `actions`, `show-action` (and 2.9's `run-action`), as the `juju` client
parses, checks and prints them.

`call(model, argv)` runs one command line (without the leading `juju`) and returns what
the client prints and its exit status: 2 when the arguments do not parse or `Init` refuses
them, 1 when running fails, 0 otherwise, each error as one `ERROR ...` line. Sources:
juju/juju 3.6 cmd/juju/action/ (run.go, common.go, showtask.go, showoperation.go,
listoperations.go, cancel.go, list.go, show.go) and juju/cmd's help layout; 2.9's
runaction.go for `run-action`.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import pathlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..juju import goformat, model, operation, render, results
from . import flags as flags_
from . import values

ID = re.compile(r'^(0|[1-9][0-9]*)$')
LEADER = re.compile(r'^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)/leader$')
TASK_STATUSES = (
    'pending',
    'running',
    'completed',
    'failed',
    'cancelled',
    'aborting',
    'aborted',
    'error',
)


class CommandError(Exception):
    """The command fails: `ERROR <text>` on stderr and this exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _usage_error(message: str) -> CommandError:
    return CommandError(message, 2)


@dataclasses.dataclass
class Output:
    """What a command writes, as it writes it."""

    stdout: list[str] = dataclasses.field(default_factory=list)
    stderr: list[str] = dataclasses.field(default_factory=list)
    quiet: bool = False

    def out(self, text: str) -> None:
        self.stdout.append(text)

    def info(self, text: str) -> None:
        """juju/cmd `Context.Infof`: stderr, a newline added if missing; dropped when quiet."""
        if not self.quiet:
            self.stderr.append(text if text.endswith('\n') else text + '\n')


@dataclasses.dataclass(frozen=True)
class Info:
    """A command's `cmd.Info`: what `--help` shows."""

    name: str
    args: str
    purpose: str
    doc: str
    examples: str = ''
    see_also: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


_GLOBAL_FLAGS = (
    flags_.Flag(
        ('debug',), 'bool', False, 'Equivalent to --show-log --logging-config=<root>=DEBUG'
    ),
    flags_.Flag(('logging-config',), 'string', '', 'Specify log levels for modules'),
    flags_.Flag(('quiet',), 'bool', False, 'Show no informational output'),
    flags_.Flag(('show-log',), 'bool', False, 'If set, write the log file to stderr'),
    flags_.Flag(('verbose',), 'bool', False, 'Show more verbose output'),
)
_HELP_FLAG = flags_.Flag(('help', 'h'), 'bool', False, 'Show help on a command or other topic.')
_MODEL_FLAG = flags_.Flag(
    ('model', 'm'),
    'string',
    '',
    'Model to operate in. Accepts [<controller name>:]<model name>|<model UUID>',
)
_OUTPUT_FILE = flags_.Flag(('output', 'o'), 'string', '', 'Specify an output file')


def _trailing(text: str) -> str:
    """Juju's doc text, whose lines end with spaces here and there: written `{SPACE}` and
    `{SPACES}` here, so an editor cannot strip them."""
    return text.replace('{SPACES}', '  ').replace('{SPACE}', ' ')


def _format_flag(default: str, choices: Sequence[str]) -> flags_.Flag:
    names = '|'.join(sorted(choices))
    return flags_.Flag(
        ('format',),
        'choice',
        default,
        f'Specify output format ({names})',
        tuple(choices),
        lambda value: f'unknown format "{value}"',
    )


def help_text(info: Info, command_flags: Sequence[flags_.Flag]) -> str:
    """`juju <command> --help` (juju/cmd `Info.HelpWithSuperFlags`)."""
    usage = f'Usage: juju {info.name} [options]' + (f' {info.args}' if info.args else '')
    parts = [
        usage,
        '',
        'Summary:',
        info.purpose.strip(),
        '',
        'Global Options:',
        flags_.defaults_text([*_GLOBAL_FLAGS, _HELP_FLAG]),
        '',
        'Command Options:',
        flags_.defaults_text(command_flags),
        '',
        'Details:',
        info.doc.strip(),
    ]
    text = '\n'.join(parts) + '\n'
    if info.examples:
        text += f'\nExamples:\n{info.examples}'
    if info.aliases:
        text += '\nAliases: ' + ', '.join(info.aliases) + '\n'
    if info.see_also:
        text += '\nSee also:\n' + ''.join(f' - {entry}\n' for entry in info.see_also)
    return text


# -- the commands --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Command:
    info: Info
    flags: tuple[flags_.Flag, ...]
    run: Callable[[Context, dict[str, Any], list[str]], None]


@dataclasses.dataclass
class Context:
    """One command line against a model: where it runs and what it writes."""

    model: model.Model
    cwd: pathlib.Path
    output: Output

    @property
    def profile(self) -> Any:
        return self.model.profile


def _time(moment: datetime.datetime | None, utc: bool, layout: str | None = None) -> str:
    """A time as the client shows it: local unless `--utc`; Go's `time.String()` form, or
    `layout` (strftime) for tables."""
    if moment is None:
        return ''
    if layout is not None:
        return moment.astimezone(datetime.timezone.utc if utc else None).strftime(layout)
    return goformat.time_string(moment, local=not utc)


# run ------------------------------------------------------------------------------------

RUN_INFO = Info(
    'run',
    '<unit> [<unit> ...] <action-name> [<key>=<value> [<key>[.<key> ...]=<value>]]',
    'Run an action on a specified unit.',
    _trailing(
        """
Run a charm action for execution on the given unit(s), with a given set of params.
An ID is returned for use with 'juju show-operation <ID>'.

A action executed on a given unit becomes a task with an ID that can be
used with 'juju show-task <ID>'.

Running an action returns the overall operation ID as well as the individual
task ID(s) for each unit.

To queue a action to be run in the background without waiting for it to finish,
use the --background option.

To set the maximum time to wait for a action to complete, use the --wait option.

By default, a single action will output its failure message if the action fails,
followed by any results set by the action. For multiple actions, each action's
results will be printed with the action id and action status. To see more detailed
information about run timings etc, use --format yaml.

Valid unit identifiers are:{SPACE}
  a standard unit ID, such as mysql/0 or;
  leader syntax of the form <application>/leader, such as mysql/leader.

If the leader syntax is used, the leader unit for the application will be
resolved before the action is enqueued.

Params are validated according to the charm for the unit's application.  The
valid params can be seen using "juju actions <application> --schema".
Params may be in a yaml file which is passed with the --params option, or they
may be specified by a key.key.key...=value format (see examples below.)

Params given in the CLI invocation will be parsed as YAML unless the
--string-args option is set.  This can be helpful for values such as 'y', which
is a boolean true in YAML.

If --params is passed, along with key.key...=value explicit arguments, the
explicit arguments will override the parameter file.
"""
    ),
    """
    juju run mysql/3 backup --background
    juju run mysql/3 backup --wait=2m
    juju run mysql/3 backup --format yaml
    juju run mysql/3 backup --utc
    juju run mysql/3 backup
    juju run mysql/leader backup
    juju show-operation <ID>
    juju run mysql/3 backup --params parameters.yml
    juju run mysql/3 backup out=out.tar.bz2 file.kind=xz file.quality=high
    juju run mysql/3 backup --params p.yml file.kind=xz file.quality=high
    juju run sleeper/0 pause time=1000
    juju run sleeper/0 pause --string-args time=1000
""",
    ('operations', 'show-operation', 'show-task'),
)
RUN_FLAGS = (
    _format_flag('plain', ('yaml', 'json', 'plain')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('background',), 'bool', False, 'Run the task in the background'),
    flags_.Flag(('wait',), 'duration', 0.0, 'Maximum wait time for a task to complete'),
    flags_.Flag(('no-color',), 'bool', False, 'Disable ANSI color codes in output'),
    flags_.Flag(('color',), 'bool', False, 'Use ANSI color codes in output'),
    flags_.Flag(('utc',), 'bool', False, 'Show times in UTC'),
    flags_.Flag(('params',), 'file', '', 'Path to yaml-formatted params file'),
    flags_.Flag(('string-args',), 'bool', False, 'Use raw string values of CLI args'),
)

# The key=value words' message differs in 2.9 (runaction.go).
_KV_FORM = {'2.9': 'key...=value'}


def _parse_run_words(
    words: Sequence[str], version: str
) -> tuple[list[str], str, list[tuple[list[str], str]]]:
    """Units, action and key=value words, checked in run.go `Init`'s order."""
    units: list[str] = []
    action = ''
    for word in words:
        if model.UNIT_NAME.match(word):
            units.append(word)
        elif results.NAME_RULE.match(word):
            action = word
            break
        else:
            raise _usage_error(f'invalid unit or action name "{word}"')
    if not units:
        raise _usage_error('no unit specified')
    if not action:
        raise _usage_error('no action specified')
    pairs = []
    for word in words[len(units) + 1 :]:
        key, sep, value = word.partition('=')
        if not sep:
            form = _KV_FORM.get(version, 'key.key.key...=value')
            raise _usage_error(f'argument "{word}" must be of the form {form}')
        keys = key.split('.')
        for part in keys:
            if not results.NAME_RULE.match(part):
                raise _usage_error(
                    f'key "{part}" must start and end with lowercase alphanumeric, '
                    'and contain only lowercase alphanumeric and hyphens'
                )
        pairs.append((keys, value))
    return units, action, pairs


def _params(
    ctx: Context, params_file: str, pairs: Sequence[tuple[list[str], str]], string_args: bool
) -> dict[str, Any]:
    """The params `juju run` sends: the file's, then each word's (run.go `enqueueActions`)."""
    params: dict[str, Any] = {}
    if params_file:
        path = ctx.cwd / os.path.expanduser(params_file)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CommandError(f'open {path}: {(e.strerror or str(e)).lower()}') from None
        try:
            decoded = values.decode(data.decode('utf-8'), empty={})
        except UnicodeDecodeError:
            raise CommandError('yaml: invalid leading UTF-8 octet') from None
        except values.ParamsError as e:
            raise CommandError(str(e)) from None
        if not isinstance(decoded, dict):
            raise CommandError('params must contain a YAML map with string keys')
        params = decoded
    for keys, text in pairs:
        try:
            value = values.command_value(text, string_args=string_args)
        except values.ParamsError as e:
            raise CommandError(str(e)) from None
        values.add_value(params, keys, value)
    return params


def juju_run(
    m: model.Model,
    targets: Sequence[str],
    action: str,
    params: Mapping[str, Any],
    *,
    background: bool = False,
    wait: float | None = None,
    fmt: str = 'plain',
    utc: bool = True,
) -> tuple[render.CliOutput, operation.Operation | None, model.RunError | None]:
    """`juju run` once its words are read: queue the operation, wait for it (`wait`
    seconds; None: as long as this version's `juju run` waits; negative: until done) or
    not (`background`), and what the client prints. Also the operation as it stands, and
    the refusal when the controller refused it."""
    try:
        op = m.enqueue(*targets, action=action, params=params)
    except model.RunError as e:
        return render.CliOutput('', e.stderr, e.exit_code), e.operation, e
    if background:
        return render.background_output(op), op, None
    if wait is None:
        wait = m.profile.default_wait
    done = m.wait(op.id, None if wait is None or wait < 0 else wait)
    return render.cli_output(done, fmt, utc=utc), done, None


def _run(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    background, wait = opts['background'], opts['wait']
    if background and wait > 0:
        raise _usage_error('cannot specify both --wait and --background')
    units, action, pairs = _parse_run_words(words, ctx.profile.version)
    params = _params(ctx, opts['params'], pairs, opts['string-args'])
    shown, _, _ = juju_run(
        ctx.model,
        units,
        action,
        params,
        background=background,
        wait=wait or None,  # 0: not given
        fmt=opts['format'],
        utc=opts['utc'],
    )
    _write(ctx, opts, shown)


def _write(ctx: Context, opts: dict[str, Any], shown: render.CliOutput) -> None:
    """Progress and hints are Infof lines; the formatted result goes to stdout or `-o`."""
    progress, _, failure = shown.stderr.partition('ERROR ')
    if progress:
        ctx.output.info(progress)
    _formatted(ctx, opts, shown.stdout)
    if failure:
        raise CommandError(failure.rstrip('\n'), shown.exit_code)


def _formatted(ctx: Context, opts: dict[str, Any], text: str) -> None:
    target = opts.get('output') or ''
    if target:
        (ctx.cwd / target).write_text(text, encoding='utf-8')
    else:
        ctx.output.out(text)


# run-action (2.9) ------------------------------------------------------------------------

RUN_ACTION_INFO = dataclasses.replace(
    RUN_INFO,
    name='run-action',
    purpose='Queue an action for execution.',
    see_also=('list-actions', 'show-action-output', 'show-action-status'),
)
RUN_ACTION_FLAGS = (
    _format_flag('yaml', ('yaml', 'json')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('params',), 'file', '', 'Path to yaml-formatted params file'),
    flags_.Flag(('string-args',), 'bool', False, 'Use raw string values of CLI args'),
    flags_.Flag(('wait',), 'wait', None, 'Wait for results, with optional timeout'),
)


def _run_action(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    units, action, pairs = _parse_run_words(words, '2.9')
    wait = opts['wait']
    if isinstance(wait, float) and 0 < wait < 0.001:
        raise _usage_error('timeout must be greater or equal to 1 ms')
    params = _params(ctx, opts['params'], pairs, opts['string-args'])
    try:
        op = ctx.model.enqueue(*units, action=action, params=params)
    except model.RunError as e:
        raise CommandError(str(e).split('\n')[0]) from None
    if wait is None:
        _formatted(ctx, opts, render.background_output(op).stdout)
        return
    done = ctx.model.wait(op.id, None if wait == 'forever' else wait)
    shown = render.cli_output(done, opts['format'])
    if shown.exit_code:
        raise CommandError(shown.stderr.removeprefix('ERROR ').rstrip('\n'), shown.exit_code)
    _formatted(ctx, opts, shown.stdout)


def _show_doc(what: str, *, uuid_note: bool) -> str:
    """The doc the show commands share (showtask.go, showoperation.go; 2.9's
    showoutput.go makes show-task's from show-action-output's)."""
    text = f"""
Show the results returned by {what} with the given ID.{{SPACES}}
To block until the result is known completed or failed, use
the --wait option with a duration, as in --wait 5s or --wait 1h.
Use --watch to wait indefinitely.{{SPACES}}

The default behavior without --wait or --watch is to immediately check and return;
if the results are "pending" then only the available information will be
displayed.  This is also the behavior when any negative time is given.
"""
    if uuid_note:
        text += """
Note: if Juju has been upgraded from 2.6 and there are old action UUIDs still in use,
and you want to specify just the UUID prefix to match on, you will need to include up
to at least the first "-" to disambiguate from a newer numeric id.
"""
    return _trailing(text)


# `--watch` and `--utc`, which show-task, show-operation and show-action-output share.
_WAIT_FLAGS = (
    flags_.Flag(('watch',), 'bool', False, 'Wait indefinitely for results'),
    flags_.Flag(('utc',), 'bool', False, 'Show times in UTC'),
)


# show-action-output (2.9) ----------------------------------------------------------------

SHOW_OUTPUT_INFO = Info(
    'show-action-output',
    '<action>',
    'Show results of an action.',
    _show_doc('an action', uuid_note=True)
    + """
Examples:

    juju show-action-output 1
    juju show-action-output 1 --wait=2m
    juju show-action-output 1 --watch

See also:
    run-action
    list-operations
    show-operation
""",
)
SHOW_OUTPUT_FLAGS = (
    _format_flag('yaml', ('yaml', 'json', 'plain')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('wait',), 'string', '-1s', 'Wait for results'),
    *_WAIT_FLAGS,
)


def _show_action_output(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    """2.9's `show-action-output` (showoutput.go with compat): the task unkeyed, in 2.9's
    layout; `--wait` a string that takes a bare number as seconds."""
    text = opts['wait']
    if opts['watch'] and text != '-1s':
        raise _usage_error('specify either --watch or --wait but not both')
    if text and not text[-1].isalpha():
        text += 's'
    try:
        wait = 0.0 if opts['watch'] else flags_.parse_duration(text)
    except ValueError as e:
        raise _usage_error(str(e)) from None
    if not words:
        raise _usage_error('no action ID specified')
    if len(words) > 1:
        raise _usage_error(f'unrecognized args: {goformat.quoted_list(words[1:])}')
    known = [t.id for op in ctx.model.operations for t in op.tasks]
    found = [i for i in known if i == words[0]] or [i for i in known if i.startswith(words[0])]
    if not found:
        raise CommandError(f'actions for identifier "{words[0]}" not found')
    if len(found) > 1:
        tags = ' '.join(f'action-{i}' for i in found)
        raise CommandError(f'identifier "{words[0]}" matched multiple actions [{tags}]')
    task = ctx.model.task(found[0])
    if wait >= 0 and task.status in ('pending', 'running'):
        task = ctx.model.wait_task(task.id, None if wait == 0 else wait)
        if task.status.active:
            raise CommandError('timeout reached')
    if opts['format'] == 'plain':
        # juju/cmd as 2.9 pins it ends a non-default format with one more newline.
        plain = render.plain_info(render.compat_task_info(task, ctx.profile))
        _formatted(ctx, opts, plain + '\n')
    else:
        _struct_out(ctx, opts, render.compat_task_info(task, ctx.profile))


# show-task ------------------------------------------------------------------------------

SHOW_TASK_INFO = Info(
    'show-task',
    '<task ID>',
    'Show results of a task by ID.',
    _show_doc('a task', uuid_note=True),
    """
    juju show-task 1
    juju show-task 1 --wait=2m
    juju show-task 1 --watch
""",
    ('run', 'operations', 'show-operation'),
)
SHOW_TASK_FLAGS = (
    _format_flag('plain', ('yaml', 'json', 'plain')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('wait',), 'duration', -1.0, 'Maximum wait time for a task to complete'),
    *_WAIT_FLAGS,
)


def _waiting(opts: dict[str, Any]) -> float | bool | None:
    """The wait a `--wait`/`--watch` pair asks for: seconds, None (forever) or False."""
    if opts['watch'] and opts['wait'] != -1.0:
        raise _usage_error('specify either --watch or --wait but not both')
    if opts['watch'] or opts['wait'] == 0:
        return None
    return opts['wait'] if opts['wait'] > 0 else False


def _one_id(words: list[str], kind: str) -> str:
    if not words:
        raise _usage_error(f'no {kind} ID specified')
    if len(words) > 1:
        raise _usage_error(f'unrecognized args: {goformat.quoted_list(words[1:])}')
    if not ID.match(words[0]):
        raise _usage_error(f'{kind} ID "{words[0]}" not valid')
    return words[0]


def _show_task(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    wait = _waiting(opts)
    task_id = _one_id(words, 'task')
    try:
        task = ctx.model.task(task_id)
    except KeyError:
        raise CommandError(f'task {task_id} not found') from None
    if wait is not False and task.status in ('pending', 'running'):
        task = ctx.model.wait_task(task_id, wait)
        if task.status.active:
            raise CommandError('maximum wait time reached')
    info = render.task_info(task, ctx.profile, utc=opts['utc'])
    fmt = opts['format']
    if fmt == 'plain':
        _formatted(ctx, opts, render.plain_task(task, ctx.profile))
    elif fmt == 'json':
        _formatted(ctx, opts, goformat.json_marshal(info) + '\n')
    else:
        _formatted(ctx, opts, goformat.yaml_v2(info))


# show-operation ---------------------------------------------------------------------------

SHOW_OPERATION_INFO = Info(
    'show-operation',
    '<operation-id>',
    'Show results of an operation.',
    _show_doc('an operation', uuid_note=False),
    """
    juju show-operation 1
    juju show-operation 1 --wait=2m
    juju show-operation 1 --watch
""",
    ('run', 'operations', 'show-task'),
)
SHOW_OPERATION_FLAGS = (
    _format_flag('yaml', ('yaml', 'json')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('wait',), 'duration', -1.0, 'Wait for results'),
    *_WAIT_FLAGS,
)


def _timing(
    enqueued: datetime.datetime | None,
    started: datetime.datetime | None,
    completed: datetime.datetime | None,
    utc: bool,
) -> goformat.Struct:
    timing = goformat.Struct()
    for name, moment in (('enqueued', enqueued), ('started', started), ('completed', completed)):
        if moment is not None:
            timing[name] = _time(moment, utc)
    return timing


def operation_info(
    op: operation.Operation, utc: bool, *, listing: bool = False
) -> goformat.Struct:
    """`operationInfo` (listoperations.go `formatOperationResult`): fields in the struct's
    order; `listing` leaves out what `juju operations` does not load (results, logs)."""
    info = goformat.Struct(summary=op.summary, status=str(op.status))
    if op.fail:
        info['fail'] = op.fail
    names = {(t.action, goformat.json_marshal(t.params)) for t in op.tasks}
    same = len(names) == 1
    if same and op.tasks:
        info['action'] = goformat.Struct(name=op.action, parameters=dict(op.tasks[0].params))
    if op.timing is not None:
        timing = _timing(*op.timing, utc)
        if timing:
            info['timing'] = timing
    tasks: dict[str, Any] = {}
    for task in op.tasks:
        entry = goformat.Struct()
        if not same:
            entry['name'] = task.action
        entry['host'] = task.unit
        entry['status'] = str(task.status)
        timing = _timing(*task.timing, utc)
        if timing:
            entry['timing'] = timing
        if task.logs and not listing:
            entry['log'] = [f'{_time(log.timestamp, utc)} {log.message}' for log in task.logs]
        if task.message:
            entry['message'] = task.message
        if task.results and not listing:
            entry['results'] = dict(task.results)
        tasks[task.id] = entry
    if tasks:
        info['tasks'] = tasks
    return info


def _show_operation(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    wait = _waiting(opts)
    op_id = _one_id(words, 'operation')
    try:
        op = ctx.model.operation(op_id)
    except KeyError:
        raise CommandError(f'operation {op_id} not found') from None
    if wait is not False and op.status in ('pending', 'running'):
        op = ctx.model.wait(op_id, wait)
        if not op.done:
            raise CommandError('timeout reached')
    _struct_out(ctx, opts, operation_info(op, opts['utc']))


def _struct_out(ctx: Context, opts: dict[str, Any], value: Any) -> None:
    if opts['format'] == 'json':
        _formatted(ctx, opts, goformat.json_marshal(value) + '\n')
    else:
        _formatted(ctx, opts, goformat.yaml_v2(value))


# operations -----------------------------------------------------------------------------

OPERATIONS_INFO = Info(
    'operations',
    '',
    'Lists pending, running, or completed operations for specified application, units, '
    'machines, or all.',
    """
List the operations with the specified query criteria.
When an application is specified, all units from that application are relevant.

When run without any arguments, operations corresponding to actions for all
application units are returned.
To see operations corresponding to juju run tasks, specify an action name
"juju-exec" and/or one or more machines.
""",
    """
    juju operations
    juju operations --format yaml
    juju operations --actions juju-exec
    juju operations --actions backup,restore
    juju operations --apps mysql,mediawiki
    juju operations --units mysql/0,mediawiki/1
    juju operations --machines 0,1
    juju operations --status pending,completed
    juju operations --apps mysql --units mediawiki/0 --status running --actions backup

""",
    ('run', 'show-operation', 'show-task'),
    ('list-operations',),
)
_APPS_HELP = 'Comma separated list of applications to filter on'
OPERATIONS_FLAGS = (
    _format_flag('plain', ('yaml', 'json', 'plain')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('utc',), 'bool', False, 'Show times in UTC'),
    flags_.Flag(('apps', 'applications'), 'strings', (), _APPS_HELP),
    flags_.Flag(('units',), 'strings', (), 'Comma separated list of units to filter on'),
    flags_.Flag(('machines',), 'strings', (), 'Comma separated list of machines to filter on'),
    flags_.Flag(('actions',), 'strings', (), 'Comma separated list of actions names to filter on'),
    flags_.Flag(
        ('status',), 'strings', (), 'Comma separated list of operation status values to filter on'
    ),
    flags_.Flag(('limit',), 'uint', 0, 'The maximum number of operations to return'),
    flags_.Flag(('offset',), 'uint', 0, 'Return operations from offset onwards'),
)
# The most operations the controller returns at once (state/operation.go).
MAX_OPERATIONS = 50
_APP = re.compile(r'^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$')
_UNIT = re.compile(r'^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*/(0|[1-9][0-9]*)$')
_MACHINE = re.compile(r'^(0|[1-9][0-9]*)(/[a-z]+/(0|[1-9][0-9]*))*$')


def _operations(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    problems = [f'invalid application name "{a}"' for a in opts['apps'] if not _APP.match(a)]
    problems += [f'invalid unit name "{u}"' for u in opts['units'] if not _UNIT.match(u)]
    problems += [f'invalid machine id "{m}"' for m in opts['machines'] if not _MACHINE.match(m)]
    wanted = ' '.join(TASK_STATUSES)
    problems += [
        f'"{s}" is not a valid task status, want one of [{wanted}]'
        for s in opts['status']
        if s not in TASK_STATUSES
    ]
    if problems:
        raise _usage_error('\n'.join(problems))
    if words:
        raise _usage_error(f'unrecognized args: {goformat.quoted_list(words)}')
    for app in opts['apps']:
        if app not in ctx.model.applications:
            raise CommandError(f'application "{app}" not found')
    chosen = [op for op in ctx.model.operations if _matches(op, opts)]
    offset, limit = opts['offset'], opts['limit'] or MAX_OPERATIONS
    page = chosen[offset : offset + limit]
    truncated = len(chosen) > offset + limit
    if not page:
        ctx.output.info('no matching operations')
        return
    page.sort(key=lambda op: int(op.id))
    if opts['format'] != 'plain':
        _struct_out(
            ctx,
            opts,
            {op.id: operation_info(op, opts['utc'], listing=True) for op in page},
        )
        return
    lines = []
    if offset or truncated:
        lines.append(f'Displaying operation results {offset + 1} to {offset + len(page)}.\n')
        if truncated:
            lines.append(
                f'Run the command again with --offset={offset + limit} --limit={limit} '
                'to see the next batch.\n\n'
            )
    rows = [['ID', 'Status', 'Started', 'Finished', 'Task IDs', 'Summary']]
    for op in page:
        ids = [t.id for t in op.tasks]
        shown = ','.join(ids[:5]) + ('...' if len(ids) > 5 else '')
        timing = op.timing
        rows.append(
            [
                op.id,
                str(op.status),
                _time(timing.started if timing else None, opts['utc'], '%Y-%m-%dT%H:%M:%S'),
                _time(timing.completed if timing else None, opts['utc'], '%Y-%m-%dT%H:%M:%S'),
                shown,
                op.summary,
            ]
        )
    _formatted(ctx, opts, ''.join(lines) + table(rows, right_aligned=(0,)))


def _matches(op: operation.Operation, opts: dict[str, Any]) -> bool:
    """Whether an operation is one `juju operations` lists for these filters: its tasks'
    units and action names, and its stored status (state/operation.go `ListOperations`)."""
    units = {t.unit for t in op.tasks}
    apps = {u.split('/')[0] for u in units}
    if not op.tasks:
        return False  # only operations with tasks are found through their tasks
    named = set(opts['apps']) | set(opts['units'])
    if named and not (apps & set(opts['apps']) or units & set(opts['units'])):
        return False
    if opts['machines']:
        return False  # machine tasks come from `juju exec`, which this model does not run
    if opts['actions'] and op.action not in opts['actions']:
        return False
    return not opts['status'] or str(op.status) in opts['status']


def table(rows: Sequence[Sequence[str]], right_aligned: Sequence[int] = ()) -> str:
    """Rows as juju's tab writer lays them out: columns two spaces apart, the last cell
    unpadded (cmd/output/output.go `TabWriter`: minwidth 0, tabwidth 1, padding 2)."""
    widths: dict[int, int] = {}
    for row in rows:
        for n, cell in enumerate(row[:-1]):
            widths[n] = max(widths.get(n, 0), len(cell))
    lines = []
    for row in rows:
        cells = []
        for n, cell in enumerate(row):
            if n == len(row) - 1:
                cells.append(cell)
            elif n in right_aligned:
                cells.append(cell.rjust(widths[n]) + '  ')
            else:
                cells.append(cell.ljust(widths[n]) + '  ')
        lines.append(''.join(cells))
    return '\n'.join(lines) + '\n'


# cancel-task ------------------------------------------------------------------------------

CANCEL_INFO = Info(
    'cancel-task',
    '(<task-id>|<task-id-prefix>) [...]',
    'Cancel pending or running tasks.',
    '\nCancel pending or running tasks matching given IDs or partial ID prefixes.',
)
CANCEL_FLAGS = (_format_flag('yaml', ('yaml', 'json')), _OUTPUT_FILE, _MODEL_FLAG)


def _cancel(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    for word in words:
        if not ID.match(word):
            raise _usage_error(f'task ID "{word}" not valid')
    if not words:
        raise CommandError('no task IDs specified')
    known = [w for w in words if w in {t.id for op in ctx.model.operations for t in op.tasks}]
    if not known:
        raise CommandError('no tasks found, no tasks have been canceled')
    entries = []
    for task in ctx.model.cancel(*known):
        completed = task.timing.completed
        entries.append(
            {
                'action': task.action,
                'id': task.id,
                'unit': task.unit,
                'status': str(task.status),
                'completed at': completed.astimezone(datetime.timezone.utc).strftime(
                    '%Y-%m-%d %H:%M:%S'
                )
                if completed
                else 'n/a',
            }
        )
    _struct_out(ctx, opts, {'actions': entries})


# actions and show-action --------------------------------------------------------------------

ACTIONS_INFO = Info(
    'actions',
    '<application>',
    'List actions defined for an application.',
    """
List the actions available to run on the target application, with a short
description.  To show the full schema for the actions, use --schema.
""",
    """
    juju actions postgresql
    juju actions postgresql --format yaml
    juju actions postgresql --schema
""",
    ('run', 'show-action'),
    ('list-actions',),
)
ACTIONS_FLAGS = (
    _format_flag('default', ('yaml', 'json', 'tabular', 'default')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('schema',), 'bool', False, 'Display the full action schema'),
)


def _application(ctx: Context, words: list[str], *, extra: int = 0) -> Any:
    if not words:
        raise _usage_error('no application name specified')
    if not _APP.match(words[0]):
        raise _usage_error(f'invalid application name "{words[0]}"')
    if len(words) > 1 + extra:
        raise _usage_error(f'unrecognized args: {goformat.quoted_list(words[1 + extra :])}')
    app = ctx.model.applications.get(words[0])
    if app is None:
        raise CommandError(f'application "{words[0]}" not found')
    return app


def _actions(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    if opts['format'] == 'tabular' and opts['schema']:
        raise _usage_error('full schema not compatible with tabular output')
    app = _application(ctx, words)
    specs = app.actions
    fmt = opts['format']
    if opts['schema']:
        schemas = {name: dict(spec.schema) for name, spec in specs.items()}
        _struct_out(ctx, {**opts, 'format': 'yaml' if fmt == 'default' else fmt}, schemas)
        return
    if fmt in ('yaml', 'json'):
        described = {name: spec.description or 'No description' for name, spec in specs.items()}
        _struct_out(ctx, opts, described)
        return
    if not specs:
        ctx.output.info(f'No actions defined for {app.name}.')
        return
    rows = [['Action', 'Description']]
    for name in goformat.sorted_keys(dict.fromkeys(specs)):
        first, *rest = (specs[name].description.strip() or 'No description').split('\n')
        rows.append([name, first])
        rows.extend(['', line] for line in rest)
    _formatted(ctx, opts, table(rows))


SHOW_ACTION_INFO = Info(
    'show-action',
    '<application> <action>',
    'Shows detailed information about an action.',
    '\nShow detailed information about an action on the target application.\n',
    '\n    juju show-action postgresql backup\n',
    ('actions', 'run'),
)


def _show_action(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    if not words:
        raise _usage_error('no application specified')
    if len(words) == 1:
        raise _usage_error('no action specified')
    app = _application(ctx, words, extra=1)
    spec = app.actions.get(words[1])
    if spec is None:
        ctx.output.info(f'unknown action "{words[1]}"\n')
        raise CommandError('', 1)
    arguments = {}
    for name, prop in dict(spec.schema.get('properties', {})).items():
        if isinstance(prop, Mapping):
            entry = goformat.Struct(type=prop.get('type'), description=prop.get('description'))
            if prop.get('default') is not None:
                entry['default'] = prop['default']
            arguments[name] = entry
    ctx.output.out(f'{spec.description}\n\nArguments\n{goformat.yaml_v2(arguments)}\n')


# exec ---------------------------------------------------------------------------------

EXEC_INFO = Info(
    'exec',
    '<commands>',
    'Run the commands on the remote targets specified.',
    """
Run a shell command on the specified targets. Only admin users of a model
are able to use this command.

Targets are specified using either machine ids, application names or unit
names.  At least one target specifier is needed.

Multiple values can be set for --machine, --application, and --unit by using
comma separated values.
""",
    """
    juju exec --unit mysql/0 -- hostname -f
""",
    ('run', 'ssh'),
)
EXEC_FLAGS = (
    _format_flag('plain', ('yaml', 'json', 'plain')),
    _OUTPUT_FILE,
    _MODEL_FLAG,
    flags_.Flag(('unit', 'u'), 'strings', (), 'One or more unit ids'),
    flags_.Flag(('application', 'app', 'a'), 'strings', (), 'One or more application names'),
    flags_.Flag(('machine',), 'strings', (), 'One or more machine ids'),
    flags_.Flag(('all',), 'bool', False, 'Run the commands on all the machines'),
    flags_.Flag(('background',), 'bool', False, 'Run the task in the background'),
    flags_.Flag(('wait',), 'duration', 0.0, 'Maximum wait time for a task to complete'),
    flags_.Flag(('utc',), 'bool', False, 'Show times in UTC'),
)
# How long `juju exec` waits without `--wait` (cmd/juju/action/exec.go: 5 minutes).
EXEC_DEFAULT_WAIT = 300.0


def _exec(ctx: Context, opts: dict[str, Any], words: list[str]) -> None:
    """`juju exec --unit u -- command ...`: the predefined juju-exec action on each unit,
    its progress hidden (exec.go sets hideProgress), its output as `juju run` formats it."""
    if opts['machine'] or opts['all']:
        raise CommandError('running commands on machines is not supported by this controller')
    if not words:
        raise _usage_error('no commands specified')
    targets = list(opts['unit'])
    for name in opts['application']:
        app = ctx.model.applications.get(name)
        if app is None:
            raise CommandError(f'application "{name}" not found')
        targets.extend(app.units)
    if not targets:
        raise _usage_error(
            'You must specify a target, either through --all, --machine, --application or --unit'
        )
    shown, done, refused = juju_run(
        ctx.model,
        targets,
        model.EXEC_ACTION,
        {'command': ' '.join(words)},
        background=opts['background'],
        wait=opts['wait'] or EXEC_DEFAULT_WAIT,
        fmt=opts['format'],
        utc=opts['utc'],
    )
    if opts['background'] or refused is not None or done is None:
        _write(ctx, opts, shown)
        return
    _, _, failure = shown.stderr.partition('ERROR ')  # the progress before it is hidden
    stdout = shown.stdout
    if opts['format'] == 'plain' and done.done and len(done.tasks) == 1:
        # One unit in plain form: the command's own output, as a shell would show it.
        results = done.tasks[0].results
        stdout = str(results.get(ctx.profile.stdout_key, ''))
        ctx.output.stderr.append(str(results.get(ctx.profile.stderr_key, '')))
    _formatted(ctx, opts, stdout)
    if failure:
        raise CommandError(failure.rstrip('\n'), shown.exit_code)


COMMANDS: dict[str, Command] = {
    'run': Command(RUN_INFO, RUN_FLAGS, _run),
    'exec': Command(EXEC_INFO, EXEC_FLAGS, _exec),
    'show-task': Command(SHOW_TASK_INFO, SHOW_TASK_FLAGS, _show_task),
    'show-operation': Command(SHOW_OPERATION_INFO, SHOW_OPERATION_FLAGS, _show_operation),
    'operations': Command(OPERATIONS_INFO, OPERATIONS_FLAGS, _operations),
    'cancel-task': Command(CANCEL_INFO, CANCEL_FLAGS, _cancel),
    'actions': Command(ACTIONS_INFO, ACTIONS_FLAGS, _actions),
    'show-action': Command(SHOW_ACTION_INFO, (_MODEL_FLAG,), _show_action),
}
ALIASES = {'list-operations': 'operations', 'list-actions': 'actions'}
# 2.9 without the actions-v2 feature flag: `run-action` and the older names.
COMMANDS_2_9: dict[str, Command] = {
    'run-action': Command(RUN_ACTION_INFO, RUN_ACTION_FLAGS, _run_action),
    'show-action-output': Command(SHOW_OUTPUT_INFO, SHOW_OUTPUT_FLAGS, _show_action_output),
    'actions': COMMANDS['actions'],
    'show-action': COMMANDS['show-action'],
}


def commands_for(version: str) -> dict[str, Command]:
    """The action commands of this Juju version's client."""
    return COMMANDS_2_9 if version == '2.9' else COMMANDS


def call(
    m: model.Model, argv: Sequence[str], *, cwd: pathlib.Path | None = None
) -> render.CliOutput:
    """Run `juju <argv>` against the model: what it prints, and its exit status."""
    output = Output()
    known = commands_for(m.profile.version)
    name = ALIASES.get(argv[0], argv[0]) if argv else ''
    command = known.get(name)
    if command is None:
        shown = argv[0] if argv else ''
        return render.CliOutput(
            '', f'ERROR juju: "{shown}" is not a juju command. See "juju --help".\n', 2
        )
    every_flag = (*command.flags, *_GLOBAL_FLAGS)
    try:
        opts, words = flags_.parse(every_flag, argv[1:])
        output.quiet = opts['quiet']
        command.run(Context(m, cwd or pathlib.Path.cwd(), output), opts, words)
    except flags_.HelpRequested:
        return render.CliOutput(help_text(command.info, command.flags), '', 0)
    except flags_.FlagError as e:
        return render.CliOutput('', f'ERROR {e}\n', 2)
    except CommandError as e:
        error = f'ERROR {e}\n' if str(e) else ''
        return render.CliOutput(''.join(output.stdout), ''.join(output.stderr) + error, e.code)
    return render.CliOutput(''.join(output.stdout), ''.join(output.stderr), 0)
