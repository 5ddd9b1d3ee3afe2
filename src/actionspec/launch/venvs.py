"""Virtual environments the kit builds for itself, to run other releases of an
implementation (an older ops, a Scenario of another major version) beside the one
installed here.

Each environment is made once, with `python -m venv` and pip from PyPI, and reused after:
it lives in a directory of its own under the cache root (`$ACTIONSPEC_ENVS`, else
`$XDG_CACHE_HOME/actionspec/envs`, else `~/.cache/actionspec/envs`) with a manifest that
says what was asked for and what pip installed. An environment whose manifest does not
match what is asked now (other requirements, another Python, other versions of the kit's
own dependencies) is built again; one that matches is used as it is, without the network.
Builds of one environment by two processes at once take turns on a lock file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

CACHE_VARIABLE = 'ACTIONSPEC_ENVS'
MANIFEST = 'actionspec-env.json'
# pip's own words for a requirement that no release on the index satisfies.
_NO_MATCH = re.compile(r'No matching distribution found for (\S+)')


class EnvError(RuntimeError):
    """An environment could not be built; the message is one line and says why."""


class NoSuchReleaseError(EnvError):
    """No release on the package index satisfies the requirements."""


def cache_root() -> pathlib.Path:
    """Where environments live: `$ACTIONSPEC_ENVS`, else the user's cache directory."""
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return pathlib.Path(chosen).expanduser()
    base = os.environ.get('XDG_CACHE_HOME') or pathlib.Path.home() / '.cache'
    return pathlib.Path(base) / 'actionspec' / 'envs'


@dataclasses.dataclass(frozen=True)
class Env:
    """A built environment: where its interpreter is, and what pip installed into it."""

    path: pathlib.Path
    installed: Mapping[str, str]
    """Every distribution in the environment by its normalized name, with its version."""
    built: bool = False
    """Whether this call built it (False: it was there already)."""

    @property
    def python(self) -> pathlib.Path:
        return self.path / 'bin' / 'python'


def normalize(name: str) -> str:
    """A distribution's name as PyPI compares names (PEP 503)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def kit_requirements() -> tuple[str, ...]:
    """What the kit's own code needs in any environment it runs in: its dependencies (not
    its extras), pinned to the versions installed here, so the kit behaves alike on both
    sides of a worker's pipe."""
    try:
        declared = importlib.metadata.requires('actionspec') or []
    except importlib.metadata.PackageNotFoundError:
        raise EnvError('actionspec is not installed: pip install -e . in its repository') from None
    pinned = []
    for requirement in declared:
        if ';' in requirement and 'extra' in requirement.split(';', 1)[1]:
            continue
        name = re.split(r'[\s<>=!~;\[(]', requirement, maxsplit=1)[0]
        try:
            pinned.append(f'{name}=={importlib.metadata.version(name)}')
        except importlib.metadata.PackageNotFoundError:
            pinned.append(requirement)
    return tuple(sorted(pinned))


def ensure(name: str, requirements: tuple[str, ...], root: pathlib.Path | None = None) -> Env:
    """The environment called `name` with `requirements` installed: the one in the cache
    if its manifest matches, else built now. Raises EnvError (NoSuchReleaseError when the
    index has no release that fits)."""
    directory = (root or cache_root()) / name
    kit = kit_requirements()
    # What a manifest must say for the environment to be used as it is.
    wanted = {
        'requirements': list(requirements),
        'kit': list(kit),
        'python': '.'.join(map(str, sys.version_info[:3])),
    }
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _locked(directory.parent / f'.{name}.lock'):
        manifest = _read_manifest(directory)
        if manifest is not None and all(manifest.get(k) == v for k, v in wanted.items()):
            return Env(directory, manifest['installed'])
        installed = _build(directory, requirements + kit)
        manifest = {**wanted, 'installed': installed}
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + '\n', encoding='utf-8')
        return Env(directory, installed, built=True)


def _read_manifest(directory: pathlib.Path) -> dict[str, Any] | None:
    try:
        found = json.loads((directory / MANIFEST).read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and (directory / 'bin' / 'python').exists() else None


@contextlib.contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    with path.open('a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(directory: pathlib.Path, requirements: tuple[str, ...]) -> dict[str, str]:
    """A fresh environment at `directory` with `requirements`; what pip installed.

    This interpreter's pip installs into it (`pip --python`), which spares each
    environment a pip of its own; without a pip here, the environment gets one."""
    shutil.rmtree(directory, ignore_errors=True)
    own_pip = importlib.util.find_spec('pip') is not None
    venv = [sys.executable, '-m', 'venv', *(['--without-pip'] if own_pip else []), str(directory)]
    _call(venv, 'python -m venv')
    python = directory / 'bin' / 'python'
    pip = [sys.executable, '-m', 'pip', '--python', str(python)] if own_pip else [str(python)]
    if not own_pip:
        pip.extend(['-m', 'pip'])
    report = directory / 'pip-report.json'
    install = [*pip, 'install', '--quiet', '--disable-pip-version-check', '--report', str(report)]
    try:
        _call([*install, *requirements], 'pip install ' + ' '.join(requirements))
        done = json.loads(report.read_text(encoding='utf-8'))
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return {
        normalize(item['metadata']['name']): item['metadata']['version']
        for item in done.get('install', ())
    }


def _call(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return
    output = done.stderr + done.stdout
    missing = _NO_MATCH.search(output)
    if missing:
        raise NoSuchReleaseError(f'no release on the package index matches {missing[1]}')
    errors = [line for line in output.splitlines() if line.startswith('ERROR')]
    last = errors[-1] if errors else (output.strip().splitlines() or ['no output'])[-1]
    raise EnvError(f'{what} failed (exit status {done.returncode}): {last}')
