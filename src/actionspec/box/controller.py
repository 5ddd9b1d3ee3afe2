"""The box's controller: the models it hosts, each an `actionspec.Model` in real time,
answering the `juju` commands of its clients as Juju 3.6's controller and client would
together, while its unit agents work in between.

Clients are served side by side under one lock, which a command waiting for results
lets go. The model-level commands are here (`version`, `add-model`, `models`, `switch`,
`destroy-model`, `status`); the application commands are in `application`, `model-config`
and `debug-log` in modules of their own, and the action commands are the command layer's
(`jujucli.commands`).
"""

from __future__ import annotations

import atexit
import datetime
import math
import pathlib
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import runtimes
from ..juju import clock as clock_
from ..juju import goformat, lifecycle, render
from ..jujucli import commands
from ..launch import charmdir
from ..launch import zygote as zygote_
from . import application, command, logs, modelconfig, store
from . import status as status_

# What `juju version` answers: the client of the Juju the box plays.
VERSION = '3.6.12-genericlinux-amd64'

# The client's words when no model is chosen (cmd/modelcmd: ErrNoModelSpecified).
NO_MODEL = (
    'no model in focus\n\n'
    'Please use "juju models" to see models available to you.\n'
    'You can set current model by running "juju switch"\n'
    'or specify any other model on the command line using the "-m" option.'
)

# A model's name (juju/names: IsValidModelName).
MODEL_NAME = re.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')

# The furthest `advance` moves the box's time in one go (a year).
MAX_ADVANCE = 366 * 24 * 3600.0

# Commands that change nothing: the state is not written after them.
READ_ONLY = frozenset(
    [
        'version',
        'models',
        'status',
        'show-model',
        'show-unit',
        'debug-log',
        'show-task',
        'show-operation',
        'operations',
        'actions',
        'show-action',
    ]
)

# The box's controller, as `show-model` names it.
CONTROLLER_UUID = '00000000-0000-4000-8000-00000000b0c5'

# How often the controller looks at its models when no dispatch has ended (the timers of
# update-status and hook retries).
TICK_SECONDS = 0.25

Command = Callable[['Controller', list[str], pathlib.Path], render.CliOutput]


class SharedClock(clock_.SystemClock):
    """The box's time, for models that several clients share: whoever waits on it lets
    the controller's lock go meanwhile, so the other clients are served. `offset` moves
    the box's time on (update-status and hook retries come sooner)."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self.offset = 0.0

    def now(self) -> datetime.datetime:
        return super().now() + datetime.timedelta(seconds=self.offset)

    def sleep(self, seconds: float) -> None:
        self._lock.release()
        try:
            time.sleep(seconds)
        finally:
            self._lock.acquire()


class Controller:
    """Every model of the box, and which one a client without `-m` means."""

    def __init__(self, data: pathlib.Path) -> None:
        self.data = data
        self.models: dict[str, command.Hosted] = {}
        self.current = ''
        self.lock = threading.Lock()
        self.clock = SharedClock(self.lock)
        # Set when a dispatch of any model ends: the unit agents have work (`work_loop`).
        self.work = threading.Event()
        self._zygote: zygote_.Zygote | None = None
        self._focus = ''  # the model the client in hand names (JUJU_MODEL)
        self.closed = False  # shut down: nothing more is run or written

    # -- the unit agents -------------------------------------------------------------------

    def tick(self, *, save: bool = False) -> None:
        """Let every model's unit agents work: record what ended, start what may start,
        run update-status where its timer ran out; then, with `save`, write the state."""
        with self.lock:
            if self.closed:
                return
            for hosted in self.models.values():
                m = hosted.model
                m.advance()
                lifecycle.queue_update_status(m, modelconfig.update_status_interval(hosted))
                m.advance()
            if save:
                store.save(self)

    def work_loop(self, stop: threading.Event) -> None:
        """Tick whenever a dispatch ends (and save what changed), and at least every
        `TICK_SECONDS` (the timers)."""
        while not stop.is_set():
            self.work.wait(TICK_SECONDS)
            woken = self.work.is_set()  # set since: a dispatch ended, so save
            self.work.clear()
            try:
                self.tick(save=woken)
            except Exception as e:  # one bad tick must not stop the agents for good
                print(f'actionspec box: the unit agents met an error: {e!r}', file=sys.stderr)

    def advance_time(self, seconds: float) -> None:
        """Move the box's time on (`actionspec box advance`), and let the agents work.
        ValueError for a time that is not a forward step of at most a year."""
        if not 0 <= seconds <= MAX_ADVANCE:  # NaN fails both
            raise ValueError(
                f'cannot move the box time on by {seconds} s (0 to {MAX_ADVANCE:.0f})'
            )
        with self.lock:
            self.clock.offset += seconds
        self.tick(save=True)

    def zygote(self) -> zygote_.Zygote:
        """The pre-warmed process that forks the dispatches of ops charms (with this
        interpreter's ops imported), started on first use."""
        if self._zygote is None:
            workdir = str(charmdir.shared_agent().workdir)
            self._zygote = zygote_.Zygote(workdir, preload=('ops',))
            atexit.register(self._zygote.close)
        return self._zygote

    def charm_runtime(
        self, model_dir: pathlib.Path, charm_dir: pathlib.Path
    ) -> charmdir.CharmDirectory:
        """What runs a charm the box stored: its units' directories in the model's, no time
        limit (Juju sets none), and for an ops charm the zygote (started only then)."""
        zygote = self.zygote() if charmdir.ops_dispatch(charm_dir) is not None else None
        return charmdir.CharmDirectory(
            charm_dir, zygote=zygote, workdir=model_dir / 'agents', time_limit=math.inf
        )

    def close(self) -> None:
        """Start nothing more and write nothing more: the controller is going."""
        with self.lock:
            self.closed = True
            for hosted in self.models.values():
                hosted.model.stopped = True

    def shutdown(self) -> None:
        """Stop every dispatch of every model (after `close`): nothing of the box's is
        left running."""
        self.close()
        with self.lock:
            for hosted in self.models.values():
                hosted.model.shutdown()

    def configure(self, hosted: command.Hosted) -> None:
        """Apply the model's config where the controller reads it."""
        hosted.model.retry_hooks = bool(modelconfig.setting(hosted, 'automatically-retry-hooks'))
        hosted.model.logging_config = str(modelconfig.setting(hosted, 'logging-config'))

    # -- commands ----------------------------------------------------------------------------

    def handle(self, argv: Sequence[str], cwd: pathlib.Path, model: str = '') -> render.CliOutput:
        """Answer one `juju` command line, as the client prints it."""
        with self.lock:
            self._focus = model
            if self.closed:
                return render.CliOutput('', 'ERROR the box controller is stopping\n', 1)
            shown = self._handle(argv, cwd)
            if not self.closed and (argv[:1] or [''])[0] not in READ_ONLY:
                store.save(self)
            return shown

    def _handle(self, argv: Sequence[str], cwd: pathlib.Path) -> render.CliOutput:
        name = argv[0] if argv else ''
        own = COMMANDS.get(name)
        if own is None and name in UNSUPPORTED:
            return render.CliOutput(
                '', f'ERROR "juju {name}" is a Juju command the actionspec box does not run\n', 1
            )
        if own is None and name not in ACTION_COMMANDS:
            return render.CliOutput(
                '', f'ERROR juju: "{name}" is not a juju command. See "juju --help".\n', 2
            )
        try:
            if own is not None:
                return own(self, list(argv[1:]), cwd)
            hosted = self.hosted(_model_flag(argv[1:]))
        except command.Refused as e:
            return render.CliOutput('', f'ERROR {e}\n', e.code)
        shown = commands.call(hosted.model, argv, cwd=cwd)
        if self.models.get(hosted.name) is hosted:  # not destroyed while this waited
            hosted.model.advance()
        return shown

    def hosted(self, name: str = '') -> command.Hosted:
        """The model a command means: `-m NAME`, else `JUJU_MODEL`, else the current one."""
        name = name or self._focus or self.current
        if not name:
            raise command.Refused(NO_MODEL)
        found = self.models.get(_short(name))
        if found is None:
            raise command.Refused(f'model "{name}" not found')
        return found

    def new_model(self, name: str, **options: Any) -> runtimes.Model:
        """A model in real time on the box's clock, whose dispatches wake the agents."""
        m = runtimes.Model(name, real_time=True, clock=self.clock, **options)
        m.changed = self.work
        return m

    def add_model(self, name: str) -> command.Hosted:
        m = self.new_model(name)  # `configure` applies its config
        hosted = command.Hosted(m, self.data / 'models' / name)
        self.models[name] = hosted
        return hosted

    def destroy(self, hosted: command.Hosted) -> None:
        for app in hosted.model.applications.values():
            close = getattr(app.charm, 'close', None)
            if close is not None:
                close()
        del self.models[hosted.name]
        shutil.rmtree(hosted.directory, ignore_errors=True)
        if self.current == hosted.name:
            self.current = ''


def _short(name: str) -> str:
    """`box:admin/it` -> `it`."""
    return name.rpartition(':')[2].rpartition('/')[2]


def _model_flag(words: Sequence[str]) -> str:
    """The model a command line names with `-m`, in any of gnuflag's spellings."""
    for n, word in enumerate(words):
        if word == '--':
            break
        if word in ('-m', '--model') and n + 1 < len(words):
            return words[n + 1]
        if word.startswith('--model='):
            return word.removeprefix('--model=')
        if word.startswith('-m') and not word.startswith('--'):
            return word[2:]  # gnuflag keeps a letter's `=`: `-m=x` names the model "=x"
    return ''


def version(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju version [--all] [--format smart|json|yaml]` (cmd/juju/commands/version.go:
    `--all` gives the build's details; a box has no git commit to give)."""
    spec = (
        command.flag('format', 'choice', 'smart', ('smart', 'json', 'yaml')),
        command.flag('all'),
    )
    opts, _ = command.parse(spec, words)
    shown: Any = VERSION
    if opts['all']:
        shown = goformat.Struct({'version': VERSION, 'compiler': 'gc'})
    if opts['format'] == 'json':
        return command.done(stdout=goformat.json_marshal(shown) + '\n')
    if opts['format'] == 'yaml' or opts['all']:
        return command.done(stdout=goformat.yaml_v2(shown))
    return command.done(stdout=f'{VERSION}\n')


def add_model(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    spec = (
        command.flag('no-switch'),
        command.flag('controller c', 'string'),
        command.flag('config', 'append', ()),
        command.flag('credential', 'string'),
        command.flag('owner', 'string'),
        command.flag('target-controller', 'string'),
    )
    opts, names = command.parse(spec, words)
    if not names:
        raise command.Refused('model name is required', 2)
    name = names[0]
    if not MODEL_NAME.match(name):
        raise command.Refused(
            f'"{name}" is not a valid name: model names may only contain lowercase letters, '
            'digits and hyphens',
            2,
        )
    if name in ctl.models:
        raise command.Refused(
            f'failed to create new model: model "{name}" for admin already exists'
        )
    config = {}
    for word in opts['config']:
        key, _, value = word.partition('=')
        config[key] = modelconfig.typed(key, value)
    hosted = ctl.add_model(name)
    hosted.config.update(config)
    ctl.configure(hosted)
    if not opts['no-switch']:
        ctl.current = name
    return command.done(
        f"Added '{name}' model on box/default with credential 'box' for user 'admin'\n"
    )


def list_models(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju models [--format tabular|json|yaml]` (cmd/juju/controller/listmodels.go): each
    model's summary under `models`, and which is current."""
    opts, _ = command.parse(
        (
            command.flag('format', 'choice', 'tabular', ('tabular', 'json', 'yaml')),
            command.flag('all'),
        ),
        words,
    )
    if opts['format'] != 'tabular':
        summaries = []
        for hosted in ctl.models.values():
            summary = _model_summary(hosted.model)
            summary.update({'access': 'admin', 'last-connection': 'just now'})
            summary['agent-version'] = summary.pop('agent-version')
            summaries.append(summary)
        shown = goformat.Struct({'models': summaries})
        if ctl.current in ctl.models:
            shown['current-model'] = ctl.current
        if opts['format'] == 'json':
            return command.done(stdout=goformat.json_marshal(shown) + '\n')
        return command.done(stdout=goformat.yaml_v2(shown))
    rows = [['Model', 'Cloud/Region', 'Type', 'Status', 'Units', 'Access', 'Last connection']]
    for name, hosted in ctl.models.items():
        units = sum(len(app.units) for app in hosted.model.applications.values())
        shown_name = f'{name}*' if name == ctl.current else name
        rows.append(
            [shown_name, 'box/default', 'box', 'available', str(units) or '-', 'admin', 'just now']
        )
    return command.done(stdout='Controller: box\n\n' + commands.table(rows))


def switch(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    if not words:
        return command.done(stdout=f'box:admin/{ctl.current}\n')
    name = _short(words[0])
    if name not in ctl.models:
        raise command.Refused(f'"{words[0]}" is not the name of a model or controller')
    before, ctl.current = ctl.current, name
    return command.done(f'box:admin/{before} -> box:admin/{name}\n')


def destroy_model(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    spec = (
        command.flag('destroy-storage'),
        command.flag('release-storage'),
        command.flag('force'),
        command.flag('no-wait'),
        command.flag('no-prompt y'),
        command.flag('timeout t', 'duration', 0.0),
    )
    _, names = command.parse(spec, words)
    if not names:
        raise command.Refused('no model specified', 2)
    hosted = ctl.models.get(_short(names[0]))
    if hosted is None:
        raise command.Refused(f'model "{names[0]}" not found')
    ctl.destroy(hosted)
    return command.done('Destroying model\nWaiting for model to be removed...\nModel destroyed.\n')


def _model_summary(m: runtimes.Model) -> goformat.Struct:
    """What `show-model` and `models` both say of a model, in their order."""
    return goformat.Struct(
        {
            'name': f'admin/{m.name}',
            'short-name': m.name,
            'model-uuid': m.uuid,
            'model-type': 'iaas',
            'controller-uuid': CONTROLLER_UUID,
            'controller-name': status_.CONTROLLER,
            'is-controller': False,
            'owner': 'admin',
            'cloud': status_.CLOUD,
            'region': 'default',
            'type': 'box',
            'life': 'alive',
            'status': {'current': 'available', 'since': status_.status_time(m)},
            'agent-version': m.profile.agent_version,
        }
    )


def show_model(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    """`juju show-model [NAME] [--format yaml|json]` (cmd/juju/model/show.go): the model's
    details under its name, in the fields jubilant's ModelInfo reads."""
    spec = (command.flag('format', 'choice', 'yaml', ('yaml', 'json')),)
    opts, names = command.parse(spec, words)
    hosted = ctl.hosted(names[0] if names else '')
    m = hosted.model
    machines = {
        u.machine: {'cores': 0} for app in m.applications.values() for u in app.units.values()
    }
    info = _model_summary(m)
    info['users'] = {
        'admin': {'display-name': 'admin', 'access': 'admin', 'last-connection': 'just now'}
    }
    info['machines'] = dict(sorted(machines.items(), key=lambda item: int(item[0])))
    info['agent-version'] = info.pop('agent-version')
    shown = {f'{m.name}': info}
    if opts['format'] == 'json':
        return command.done(stdout=goformat.json_marshal(shown) + '\n')
    return command.done(stdout=goformat.yaml_v2(shown))


def status(ctl: Controller, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
    spec = (
        command.flag('format', 'choice', 'tabular', ('tabular', 'yaml', 'json')),
        command.MODEL_FLAG,
        command.flag('utc'),
        command.flag('color'),
        command.flag('no-color'),
        command.flag('relations'),
        command.flag('integrations'),
        command.flag('storage'),
        command.flag('watch', 'duration', 0.0),
    )
    opts, _ = command.parse(spec, words)
    hosted = ctl.hosted(opts['model'])
    shown = status_.render(hosted.model, opts['format'], utc=opts['utc'], charms=hosted.charms)
    if opts['format'] == 'tabular' and not hosted.model.applications:
        return command.done(f'\nModel "admin/{hosted.name}" is empty.\n', shown)
    return command.done(stdout=shown)


# Juju commands the box knows of but does not run (no machines, clouds, storage, secrets,
# offers or charmhub here): refused as such, not as unknown.
_UNSUPPORTED = (
    'add-cloud add-credential add-machine add-secret add-secret-backend add-space '
    'add-ssh-key add-storage attach-resource attach-storage bind bootstrap consume '
    'controllers credentials debug-hooks destroy-controller detach-storage download '
    'expose find grant grant-secret kill-controller machines migrate model-constraints '
    'offer offers refresh remove-cloud remove-credential remove-machine remove-offer '
    'remove-saas remove-secret remove-ssh-key remove-storage resolved resolve resources '
    'revoke-secret scp secrets set-constraints set-model-constraints show-machine '
    'show-secret show-status-log spaces ssh storage trust unexpose '
    'update-secret upgrade-model users wait-for'
)
UNSUPPORTED = frozenset(_UNSUPPORTED.split())

# The action commands, which the command layer answers (looked up on every request).
ACTION_COMMANDS = frozenset(commands.commands_for('3.6')) | frozenset(commands.ALIASES)

COMMANDS: dict[str, Command] = {
    'version': version,
    'add-model': add_model,
    'models': list_models,
    'switch': switch,
    'destroy-model': destroy_model,
    'status': status,
    'show-model': show_model,
    'deploy': application.deploy,
    'add-unit': application.add_unit,
    'remove-unit': application.remove_unit,
    'remove-application': application.remove_application,
    'integrate': application.integrate,
    'relate': application.integrate,
    'remove-relation': application.remove_relation,
    'config': application.config,
    'show-unit': application.show_unit,
    'model-config': modelconfig.model_config,
    'debug-log': logs.debug_log,
}
