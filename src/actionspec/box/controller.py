"""The box's controller: models by name, each an `actionspec.Model`, answering the `juju`
commands of a client as Juju 3.6's controller and client would together.

The model-level commands are here (`version`, `add-model`, `models`, `switch`,
`destroy-model`, `deploy`); the action commands are the command layer's
(`jujucli.commands`). After every command the unit agents work, as they do between one
command and the next on a real controller.
"""

from __future__ import annotations

import atexit
import dataclasses
import pathlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import runtimes
from ..juju import clock as clock_
from ..juju import goformat, lifecycle, render
from ..jujucli import commands
from ..jujucli import flags as flags_
from ..launch import charmdir
from ..launch import zygote as zygote_
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


class Refused(Exception):  # noqa: N818 - an answer, not a fault
    """The command refuses: `ERROR <text>` and this exit status (2: its arguments)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


MODEL_FLAG = flags_.Flag(('model', 'm'), 'string', '', 'Model to operate in')


def _parse(spec: Sequence[flags_.Flag], words: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    try:
        return flags_.parse(spec, words)
    except flags_.FlagError as e:
        raise Refused(str(e), 2) from None


def _done(stderr: str = '', stdout: str = '') -> render.CliOutput:
    return render.CliOutput(stdout, stderr, 0)


# How often the controller looks at its models when no dispatch has ended (the timers of
# update-status and hook retries).
TICK_SECONDS = 0.25


class SharedClock(clock_.SystemClock):
    """The real time, for models that several clients share: whoever waits on it lets the
    controller's lock go meanwhile, so the other clients are served."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock

    def sleep(self, seconds: float) -> None:
        self._lock.release()
        try:
            time.sleep(seconds)
        finally:
            self._lock.acquire()


@dataclasses.dataclass
class Controller:
    """Every model of the box, and which one a client without `-m` means. Clients are
    served side by side; each command holds `lock` except while it waits."""

    models: dict[str, runtimes.Model] = dataclasses.field(default_factory=dict)
    current: str = ''
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)
    zygote: zygote_.Zygote | None = dataclasses.field(default=None, repr=False)
    # Set when a dispatch of any model ends: the unit agents have work (see `work_loop`).
    work: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False)

    def tick(self) -> None:
        """Let every model's unit agents work: record what ended, start what may start,
        run update-status where its timer ran out."""
        with self.lock:
            for m in self.models.values():
                m.advance()
                lifecycle.queue_update_status(m, lifecycle.UPDATE_STATUS_INTERVAL)
                m.advance()

    def work_loop(self, stop: threading.Event) -> None:
        """Tick whenever a dispatch ends, and at least every `TICK_SECONDS` (timers)."""
        while not stop.is_set():
            self.work.wait(TICK_SECONDS)
            self.work.clear()
            self.tick()

    def handle(self, argv: Sequence[str], cwd: pathlib.Path, model: str = '') -> render.CliOutput:
        """Answer one `juju` command line, as the client prints it."""
        with self.lock:
            return self._handle(argv, cwd, model)

    def _handle(self, argv: Sequence[str], cwd: pathlib.Path, model: str) -> render.CliOutput:
        name = argv[0] if argv else ''
        own = self._commands().get(name)
        known = commands.commands_for('3.6').keys() | commands.ALIASES.keys()
        if own is None and name not in known:
            return render.CliOutput(
                '', f'ERROR juju: "{name}" is not a juju command. See "juju --help".\n', 2
            )
        try:
            if own is not None:
                return own(list(argv[1:]), cwd)
            target = self._model(self._model_flag(argv[1:]) or model or self.current)
        except Refused as e:
            return render.CliOutput('', f'ERROR {e}\n', e.code)
        shown = commands.call(target, argv, cwd=cwd)
        if target in self.models.values():  # not destroyed while this waited
            target.advance()
        return shown

    def _commands(self) -> dict[str, Callable[[list[str], pathlib.Path], render.CliOutput]]:
        return {
            'version': self._version,
            'add-model': self._add_model,
            'models': self._list_models,
            'switch': self._switch,
            'destroy-model': self._destroy_model,
            'deploy': self._deploy,
            'status': self._status,
            'config': self._config,
        }

    def _zygote(self) -> zygote_.Zygote:
        """The pre-warmed process that forks the dispatches of ops charms (with this
        interpreter's ops imported), started on first use."""
        if self.zygote is None:
            workdir = str(charmdir.shared_agent().workdir)
            self.zygote = zygote_.Zygote(workdir, preload=('ops',))
            atexit.register(self.zygote.close)
        return self.zygote

    def _model(self, name: str) -> runtimes.Model:
        if not name:
            raise Refused(NO_MODEL)
        found = self.models.get(name.rpartition(':')[2].rpartition('/')[2])
        if found is None:
            raise Refused(f'model "{name}" not found')
        return found

    @staticmethod
    def _model_flag(words: Sequence[str]) -> str:
        for n, word in enumerate(words):
            if word in ('-m', '--model') and n + 1 < len(words):
                return words[n + 1]
            if word.startswith('--model='):
                return word.removeprefix('--model=')
        return ''

    def _version(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        return _done(stdout=f'{VERSION}\n')

    def _add_model(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        spec = (
            flags_.Flag(('no-switch',), 'bool', False, ''),
            flags_.Flag(('controller', 'c'), 'string', '', ''),
            flags_.Flag(('config',), 'string', '', ''),
            flags_.Flag(('credential',), 'string', '', ''),
        )
        opts, names = _parse(spec, words)
        if not names:
            raise Refused('model name is required', 2)
        name = names[0]
        if name in self.models:
            raise Refused(f'model "admin/{name}" already exists')
        self.models[name] = runtimes.Model(
            name, real_time=True, retry_hooks=True, clock=SharedClock(self.lock)
        )
        self.models[name].dispatch_ended = self.work
        if not opts['no-switch']:
            self.current = name
        return _done(
            f"Added '{name}' model on box/default with credential 'box' for user 'admin'\n"
        )

    def _list_models(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        rows = [['Model', 'Cloud/Region', 'Type', 'Status', 'Units', 'Access', 'Last connection']]
        for name, m in self.models.items():
            units = sum(len(app.units) for app in m.applications.values())
            shown = f'{name}*' if name == self.current else name
            rows.append(
                [shown, 'box/default', 'box', 'available', str(units) or '-', 'admin', 'just now']
            )
        return _done(stdout='Controller: box\n\n' + commands.table(rows))

    def _switch(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        if not words:
            return _done(stdout=f'box:admin/{self.current}\n')
        name = words[0].rpartition(':')[2].rpartition('/')[2]
        if name not in self.models:
            raise Refused(f'"{words[0]}" is not the name of a model or controller')
        before, self.current = self.current, name
        return _done(f'box:admin/{before} -> box:admin/{name}\n')

    def _destroy_model(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        spec = (
            flags_.Flag(('destroy-storage',), 'bool', False, ''),
            flags_.Flag(('release-storage',), 'bool', False, ''),
            flags_.Flag(('force',), 'bool', False, ''),
            flags_.Flag(('no-wait',), 'bool', False, ''),
            flags_.Flag(('no-prompt', 'y'), 'bool', False, ''),
            flags_.Flag(('timeout', 't'), 'duration', 0.0, ''),
        )
        _, names = _parse(spec, words)
        names = [n.rpartition(':')[2].rpartition('/')[2] for n in names]
        if not names or names[0] not in self.models:
            raise Refused(f'model "{names[0] if names else ""}" not found')
        model = self.models.pop(names[0])
        for app in model.applications.values():
            close = getattr(app.charm, 'close', None)
            if close is not None:
                close()
        if self.current == names[0]:
            self.current = ''
        return _done('Destroying model\nModel destroyed.\n')

    def _deploy(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        spec = (
            flags_.Flag(('num-units', 'n'), 'uint', 1, 'Number of application units to deploy'),
            MODEL_FLAG,
            flags_.Flag(('trust',), 'bool', False, ''),
            flags_.Flag(('base',), 'string', '', ''),
            flags_.Flag(('channel',), 'string', '', ''),
        )
        opts, positional = _parse(spec, words)
        if not positional:
            raise Refused('no charm name specified', 2)
        target = self._model(opts['model'] or self.current)
        try:
            app = charmdir.deploy_charm_dir(
                target,
                (cwd / positional[0]).resolve(),
                units=0,
                leader=None,
                zygote=self._zygote(),
            )
        except (ValueError, OSError) as e:
            raise Refused(str(e)) from None
        lifecycle.add_units(target, app.name, opts['num-units'])
        return _done(f'Deployed "{app.name}" from local charm "{app.name}"\n')

    def _config(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        """`juju config APP`: the settings; `juju config APP k=v ... --reset k2`: set them
        (cmd/juju/application/config.go; the layout of its `--format json|yaml`)."""
        spec = (
            flags_.Flag(('format',), 'choice', 'yaml', '', ('yaml', 'json')),
            MODEL_FLAG,
            flags_.Flag(('reset',), 'strings', (), ''),
        )
        opts, positional = _parse(spec, words)
        target = self._model(opts['model'] or self.current)
        if not positional:
            raise Refused('no application name specified', 2)
        app = target.applications.get(positional[0])
        if app is None:
            raise Refused(f'application "{positional[0]}" not found')
        pairs = positional[1:]
        if not pairs and not opts['reset']:
            shown = {'application': app.name, 'charm': app.name, 'settings': _settings(app)}
            if opts['format'] == 'json':
                return _done(stdout=goformat.json_marshal(shown) + '\n')
            return _done(stdout=goformat.yaml_v2(shown))
        values: dict[str, str] = {}
        for pair in pairs:
            key, sep, value = pair.partition('=')
            if not sep:
                raise Refused('can only retrieve a single value, or all values', 2)
            values[key] = value
        try:
            target.set_config(app.name, values, [k for k in opts['reset'] if k])
        except ValueError as e:
            raise Refused(str(e)) from None
        return _done()

    def _status(self, words: list[str], cwd: pathlib.Path) -> render.CliOutput:
        spec = (
            flags_.Flag(('format',), 'choice', 'tabular', '', ('tabular', 'yaml', 'json')),
            MODEL_FLAG,
        )
        opts, _ = _parse(spec, words)
        target = self._model(opts['model'] or self.current)
        fmt = 'yaml' if opts['format'] == 'tabular' else opts['format']
        return _done(stdout=status_.render(target, fmt))


def _settings(app: Any) -> dict[str, Any]:
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
