"""Juju in a box: a local controller, a daemon of its own, and a `juju` client that talks to
it, so tests that drive the `juju` CLI run on one machine.

`Box.start()` makes a fresh data directory, starts the controller and puts the client in
`<data>/bin/juju`; `env()` is what a command needs to use it (`PATH`, `JUJU_DATA`), and
nothing is installed as `juju` anywhere else, so a real Juju is never shadowed.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping

from . import client

# The controller's own log (its standard error), in the data directory.
LOG_NAME = 'controller.log'


class BoxError(RuntimeError):
    """The box's controller could not be started."""


class Box:
    """A running box: its data directory and its controller process."""

    def __init__(self, data: pathlib.Path, process: subprocess.Popen[bytes], owned: bool) -> None:
        self.data = data
        self.process = process
        self._owned = owned

    @classmethod
    def start(cls, data: pathlib.Path | None = None) -> Box:
        """Start a controller on `data` (default: a fresh temporary directory, removed by
        `stop`), and install the client beside it."""
        owned = data is None
        data = pathlib.Path(tempfile.mkdtemp(prefix='actionspec-box-')) if data is None else data
        data.mkdir(parents=True, exist_ok=True)
        install_client(data / 'bin')
        # A box of its own data follows this process: killed or not, it leaves nothing.
        owner = [str(os.getpid())] if owned else []
        # What the controller has to say for itself goes to its log, for the life of it.
        log = data / LOG_NAME
        with log.open('ab') as stderr:
            process = subprocess.Popen(
                [sys.executable, '-m', 'actionspec.box.daemon', str(data), *owner],
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        assert process.stdout is not None
        if process.stdout.readline().strip() != b'ready':
            process.kill()
            code = process.wait()
            said = log.read_text(encoding='utf-8', errors='replace').strip().splitlines()
            raise BoxError(said[-1] if said else f'the box controller did not start ({code})')
        return cls(data, process, owned)

    def advance(self, seconds: float) -> None:
        """Move the box's time on by `seconds`: update-status timers and the retries of
        failed hooks run out as if that time had passed."""
        self.advance_at(self.data, seconds)

    @staticmethod
    def advance_at(data: pathlib.Path, seconds: float) -> None:
        """`advance` for the box serving in `data` (OSError when none is; ValueError,
        with the controller's words, for a time it refuses)."""
        reply = client.request(data, {'advance': seconds})
        if reply['code']:
            raise ValueError(str(reply['stderr']).strip().removeprefix('ERROR bad request: '))

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment whose `juju` is this box's client."""
        env = dict(os.environ if base is None else base)
        env['PATH'] = f'{self.data / "bin"}{os.pathsep}{env.get("PATH", "")}'
        env['JUJU_DATA'] = str(self.data)
        return env

    def stop(self) -> None:
        """Stop the controller (and every charm process of its models); remove the data
        directory if the box made it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._owned:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> Box:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f'Box({str(self.data)!r})'


def install_client(bin_dir: pathlib.Path) -> pathlib.Path:
    """Write the `juju` client into `bin_dir`: the client module's own source, run by this
    Python in isolated mode without `site`, so it starts in a few milliseconds."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    target = bin_dir / 'juju'
    source = pathlib.Path(client.__file__).read_text(encoding='utf-8')
    target.write_text(f'#!{sys.executable} -IS\n{source}', encoding='utf-8')
    target.chmod(0o755)
    return target
