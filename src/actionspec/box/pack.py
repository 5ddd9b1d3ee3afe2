"""Charm archives: a charm directory packed into a `.charm` as charmcraft lays one out, and a
`.charm` unpacked safely, so the box deploys the files Juju deploys.

Packing builds nothing: no wheels, no venv. The box runs a charm on the ops installed beside
it unless the charm ships its own `venv/`, which is then packed as it is (charmcraft would
drop it and build one). Everything else follows charmcraft: which files go in, the
`dispatch` and `hooks/` it adds, the metadata files it writes from a unified charmcraft.yaml,
`manifest.yaml`, the archive's name. The output is reproducible: sorted entries, fixed
times, so packing a charm twice gives the same bytes.

Sources: canonical/charmcraft charmcraft/charm_builder.py (the charm plugin: every file
not ignored, links inside the project followed, `dispatch` and the mandatory hooks),
charmcraft/jujuignore.py (`.jujuignore` rules and Juju's default ignores),
charmcraft/application/main.py (`source_ignore_patterns`: `*.charm`, charmcraft.yaml),
charmcraft/const.py (`DISPATCH_CONTENT`, `MANDATORY_HOOK_NAMES`), charmcraft/dispatch.py
(the `dispatch` of the uv, poetry and python plugins), charmcraft/utils/parts.py
(`get_charm_copy_commands`: those plugins ship `src/` and `lib/`),
charmcraft/services/package.py (`get_charm_name`, `write_metadata`, `get_manifest`),
charmcraft/models/metadata.py (`CharmMetadata.from_charm`), charmcraft/models/manifest.py,
charmcraft/preprocess.py (a key in charmcraft.yaml and its own file both: refused),
charmcraft/linters.py (the `language` and `framework` attributes), charmcraft/utils/file.py
(`build_zip`: files only, links followed); canonical/craft-platforms
craft_platforms/charm/_build.py (platform labels); juju/juju internal/charm/charmarchive.go
(unix modes and links in a charm's zip entries).
"""

from __future__ import annotations

import ast
import dataclasses
import os
import pathlib
import posixpath
import re
import shlex
import stat
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from .. import charmmeta, version
from ..launch import charmdir


class PackError(ValueError):
    """A directory or archive that is not a charm, or an archive that is unsafe to unpack;
    the one-line text names the path and what is wrong."""


# Every entry's time, and the manifest's start time: fixed, so the same charm packs to the
# same bytes (1980 is the earliest time a zip entry can hold).
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
STARTED_AT = '1980-01-01T00:00:00'

# Where a charm without a charmcraft.yaml (which charmcraft cannot pack) is said to run.
DEFAULT_BASE = ('ubuntu', '24.04', 'amd64')

# The hooks the charm plugin links to `dispatch` for Juju before 2.8 (const.py).
MANDATORY_HOOKS = ('install', 'start', 'upgrade-charm')

# Plugins that install the charm's code into a venv and ship only `src/` and `lib/`.
PYTHON_PLUGINS = frozenset(('uv', 'poetry', 'python'))

# What never goes into a charm, in .jujuignore syntax: Juju's defaults (jujuignore.py
# default_juju_ignore), the charm builder's staging venv, and the project files craft-parts
# leaves out (application/main.py, matched at the top only). Two departures: `/venv` is not
# ignored (see the module docstring), and `__pycache__` is: bytecode left by running the
# charm in place, which Python rebuilds and which would make the archive depend on it.
DEFAULT_IGNORE = (
    '.git',
    '.svn',
    '.hg',
    '.bzr',
    '.tox',
    '/build/',
    '/revision',
    '.jujuignore',
    '/staging-venv',
    '/*.charm',
    '/charmcraft.yaml',
    '__pycache__/',
)

# metadata.yaml keys a unified charmcraft.yaml carries under the same name
# (models/metadata.py CharmMetadata).
METADATA_KEYS = (
    'name',
    'summary',
    'description',
    'assumes',
    'charm-user',
    'containers',
    'devices',
    'extra-bindings',
    'peers',
    'provides',
    'requires',
    'resources',
    'storage',
    'subordinate',
    'terms',
)

# Files = archive name -> (contents, permission bits).
Files = dict[str, tuple[bytes, int]]


def pack(charm_dir: pathlib.Path, out_dir: pathlib.Path, *, stored: bool = False) -> pathlib.Path:
    """Pack `charm_dir` into `out_dir/<name>_<platform>.charm` and return its path;
    PackError when the directory is not a charm. `stored` leaves the entries uncompressed:
    for a charm packed once per use, where packing time counts and size does not."""
    meta, craft = _read_charm(charm_dir)
    plugin, entrypoint = _plugin(craft)
    rules = _rules(DEFAULT_IGNORE)
    jujuignore = charm_dir / '.jujuignore'
    if jujuignore.is_file():
        rules += _rules(jujuignore.read_text(encoding='utf-8').splitlines())
    # The python plugins copy `src/` and `lib/` (and build `venv/`); the charm plugin, all.
    top = frozenset(('src', 'lib', 'venv')) if plugin in PYTHON_PLUGINS else None
    sources = _walk(charm_dir, rules, top)
    files: Files = {
        name: (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
        for name, path in sources.items()
    }
    if plugin in PYTHON_PLUGINS:
        if 'dispatch' not in files and entrypoint in files:
            files['dispatch'] = (
                charmdir.PYTHON_DISPATCH.format(entrypoint=entrypoint).encode(),
                0o755,
            )
    else:
        _charm_plugin_dispatch(charm_dir, sources, files, entrypoint)
    _metadata_files(charm_dir, meta, craft, files)
    label, bases = _target(charm_dir, craft)
    manifest = {
        'charmcraft-version': f'actionspec-{version.VERSION}',
        'charmcraft-started-at': STARTED_AT,
        'bases': bases,
        'analysis': {'attributes': _attributes(files)},
    }
    files['manifest.yaml'] = (yaml.safe_dump(manifest, sort_keys=False).encode(), 0o644)
    out_dir.mkdir(parents=True, exist_ok=True)
    charm_file = out_dir / f'{meta.name}_{label}.charm'
    _write_zip(charm_file, files, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return charm_file


def unpack(charm_file: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    """Extract `charm_file` into `dest` (created if needed) and return it: unix modes kept,
    nothing written outside `dest`. PackError, before anything is written, for a file that
    is not a charm archive or holds an entry or link that would land outside; links that
    lead outside only together (`a` -> `.`, `b` -> `a/..`) are found once made, and
    removed again."""
    try:
        archive = zipfile.ZipFile(charm_file)
    except zipfile.BadZipFile:
        raise PackError(f'{charm_file}: not a charm archive (not a zip file)') from None
    except OSError as e:
        raise PackError(f'{charm_file}: cannot read it ({e.strerror or e})') from None
    with archive:
        entries = _checked_entries(charm_file, archive)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        for entry in entries:
            path = dest / entry.name
            # Entry names hold no `..`: only a link already in `dest` could lead outside.
            if not _inside(root, pathlib.Path(os.path.realpath(path.parent))):
                raise PackError(f'{charm_file}: {entry.name!r} would land outside {dest}')
            if entry.kind == 'dir':
                path.mkdir(parents=True, exist_ok=True)
            elif entry.kind == 'file':
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_symlink() or path.exists():
                    path.unlink()
                path.write_bytes(archive.read(entry.info))
                path.chmod(entry.mode)
        # Links last, so no file is written through one; each must resolve inside `dest`.
        links = [e for e in entries if e.kind == 'link']
        for entry in links:
            path = dest / entry.name
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or path.exists():
                path.unlink()
            path.symlink_to(entry.target)
        for entry in links:
            if not _inside(root, pathlib.Path(os.path.realpath(dest / entry.name))):
                for made in links:
                    (dest / made.name).unlink(missing_ok=True)
                raise PackError(
                    f'{charm_file}: link {entry.name!r} -> {entry.target!r} points outside the '
                    'charm'
                )
    return dest


def _read_charm(charm_dir: pathlib.Path) -> tuple[charmmeta.CharmMeta, dict[str, Any]]:
    """The charm's metadata, and its charmcraft.yaml as data ({} without one)."""
    if not charm_dir.is_dir():
        raise PackError(f'{charm_dir}: not a charm directory (not a directory)')
    craft_path = charm_dir / 'charmcraft.yaml'
    if not (charm_dir / 'metadata.yaml').is_file() and not craft_path.is_file():
        raise PackError(
            f'{charm_dir}: not a charm directory (no metadata.yaml or charmcraft.yaml)'
        )
    try:
        meta = charmmeta.CharmMeta.read(charm_dir)
    except charmmeta.MetadataError as e:
        raise PackError(str(e)) from None
    craft: dict[str, Any] = {}
    if craft_path.is_file():
        # CharmMeta.read has read it already: a mapping, or empty.
        craft = yaml.safe_load(craft_path.read_text(encoding='utf-8')) or {}
        kind = craft.get('type', 'charm')
        if kind != 'charm':
            raise PackError(f'{craft_path}: type {kind!r}, not a charm')
    return meta, craft


def _plugin(craft: Mapping[str, Any]) -> tuple[str, str]:
    """The plugin that builds the charm's code (charm, uv, poetry or python) and the
    entrypoint its `dispatch` runs; the charm plugin when charmcraft.yaml names neither."""
    parts = craft.get('parts') or {}
    if isinstance(parts, Mapping):
        for name, part in parts.items():
            settings = part if isinstance(part, Mapping) else {}
            plugin = settings.get('plugin') or name
            if plugin == 'charm':
                return 'charm', str(settings.get('charm-entrypoint') or 'src/charm.py')
            if plugin in PYTHON_PLUGINS:
                # dispatch.py create_dispatch: no entrypoint override yet (charmcraft #1896).
                return plugin, 'src/charm.py'
    return 'charm', 'src/charm.py'


def _charm_plugin_dispatch(
    charm_dir: pathlib.Path,
    sources: Mapping[str, pathlib.Path],
    files: Files,
    entrypoint: str,
) -> None:
    """What the charm builder adds: a `dispatch` running the entrypoint when the charm has
    none, and hooks running `dispatch` for Juju before 2.8: the mandatory ones, and any of
    the charm's hooks that is a link to the entrypoint. Links are stored as the file they
    point to, as charmcraft zips them."""
    if 'dispatch' not in files:
        if entrypoint not in files:
            return
        files['dispatch'] = (charmdir.CHARM_DISPATCH.format(entrypoint=entrypoint).encode(), 0o755)
    entry_path = (charm_dir / entrypoint).resolve()
    for name, path in sources.items():
        is_hook = posixpath.dirname(name) == 'hooks'
        if is_hook and path.is_symlink() and path.resolve() == entry_path:
            files[name] = files['dispatch']
    for hook in MANDATORY_HOOKS:
        files.setdefault(f'hooks/{hook}', files['dispatch'])


def _metadata_files(
    charm_dir: pathlib.Path,
    meta: charmmeta.CharmMeta,
    craft: Mapping[str, Any],
    files: Files,
) -> None:
    """metadata.yaml, actions.yaml and config.yaml: the charm's own files as they are, else
    written from charmcraft.yaml. A key in charmcraft.yaml and its own file both: refused,
    as charmcraft refuses them."""
    craft_path = charm_dir / 'charmcraft.yaml'
    for filename, keys in (
        ('metadata.yaml', ('name', 'summary', 'description')),
        ('actions.yaml', ('actions',)),
        ('config.yaml', ('config',)),
    ):
        source = charm_dir / filename
        if not source.is_file():
            continue
        # actions.yaml and config.yaml hold the key's value; metadata.yaml holds keys.
        own = _yaml_keys(source) if filename == 'metadata.yaml' else set(keys)
        both = [key for key in keys if key in craft and key in own]
        if both:
            raise PackError(f'{craft_path}: {", ".join(both)} also in {filename}')
        files.setdefault(filename, (source.read_bytes(), 0o644))
    if 'metadata.yaml' not in files:
        files['metadata.yaml'] = (yaml.safe_dump(_metadata(craft)).encode(), 0o644)
    if 'actions.yaml' not in files and meta.actions:
        files['actions.yaml'] = (yaml.safe_dump(dict(meta.actions)).encode(), 0o644)
    if 'config.yaml' not in files and meta.config:
        config = {'options': dict(meta.config)}
        files['config.yaml'] = (yaml.safe_dump(config).encode(), 0o644)


def _yaml_keys(path: pathlib.Path) -> set[str]:
    """The keys of the YAML mapping in `path` (CharmMeta.read has checked it is one)."""
    data = yaml.safe_load(path.read_text(encoding='utf-8'))
    return set(data) if isinstance(data, Mapping) else set()


def _metadata(craft: Mapping[str, Any]) -> dict[str, Any]:
    """metadata.yaml from a unified charmcraft.yaml: its metadata keys, `title` as
    `display-name` and `links` flattened (documentation -> docs, contact -> maintainers)."""
    data = {key: craft[key] for key in METADATA_KEYS if craft.get(key) is not None}
    if craft.get('title') is not None:
        data['display-name'] = craft['title']
    links = craft.get('links')
    if isinstance(links, Mapping):
        for key, value in links.items():
            if value is None:
                continue
            if key == 'documentation':
                data['docs'] = value
            elif key == 'contact':
                data['maintainers'] = [value] if isinstance(value, str) else value
            else:
                data[key] = value
    return data


def _target(charm_dir: pathlib.Path, craft: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The first build of charmcraft's plan: its platform label (the archive's name) and
    the bases it runs on (the manifest's)."""
    try:
        if craft.get('platforms'):
            label, platform = next(iter(craft['platforms'].items()))
            label = str(label)
            base, _, arch = label.rpartition(':')
            if isinstance(platform, Mapping) and platform.get('build-for'):
                build_for = platform['build-for']
                first = build_for if isinstance(build_for, str) else build_for[0]
                for_base, _, arch = str(first).rpartition(':')
                base = base or for_base
            name, _, channel = str(craft.get('base') or base or 'ubuntu@24.04').partition('@')
            runs_on = {'name': name, 'channel': channel, 'architectures': [arch]}
            return label.replace(':', '-'), [runs_on]
        if craft.get('bases'):
            first = craft['bases'][0]
            build = (first.get('build-on') or [first])[0]
            build_arch = (build.get('architectures') or ['amd64'])[0]
            run_on = [
                {
                    'name': str(run['name']),
                    'channel': str(run['channel']),
                    'architectures': list(run.get('architectures') or [build_arch]),
                }
                for run in first.get('run-on') or [first]
            ]
            archs = '-'.join(run_on[0]['architectures'])
            return f'{build["name"]}-{build["channel"]}-{archs}', run_on
    except (AttributeError, IndexError, KeyError, TypeError, StopIteration):
        raise PackError(f'{charm_dir / "charmcraft.yaml"}: cannot read its bases') from None
    name, channel, arch = DEFAULT_BASE
    return f'{name}-{channel}-{arch}', [
        {'name': name, 'channel': channel, 'architectures': [arch]}
    ]


def _attributes(files: Files) -> list[dict[str, str]]:
    """The manifest's analysis: the charm's language (python when `dispatch` ends by running
    an executable `.py` file) and framework (operator when that file imports ops and the
    charm ships `venv/ops`)."""
    entrypoint = _python_entrypoint(files)
    framework = 'unknown'
    has_ops = any(name.startswith('venv/ops/') for name in files)
    if entrypoint and has_ops and _imports_ops(files[entrypoint][0]):
        framework = 'operator'
    return [
        {'name': 'language', 'result': 'python' if entrypoint else 'unknown'},
        {'name': 'framework', 'result': framework},
    ]


def _python_entrypoint(files: Files) -> str | None:
    """The `.py` file the last line of `dispatch` runs, if the charm has it executable."""
    try:
        lines = [line for line in files['dispatch'][0].decode().splitlines() if line.strip()]
        words = shlex.split(lines[-1]) if lines else []
    except (KeyError, UnicodeDecodeError, ValueError):
        return None
    if not words:
        return None
    name = posixpath.normpath(words[-1])
    entry = files.get(name)
    if name.endswith('.py') and entry is not None and entry[1] & 0o111:
        return name
    return None


def _imports_ops(source: bytes) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            alias.name.split('.')[0] == 'ops' for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or '').split('.')[0] == 'ops':
            return True
    return False


@dataclasses.dataclass(frozen=True)
class _Rule:
    """One .jujuignore line."""

    regex: re.Pattern[str]
    keep: bool
    dirs_only: bool


def _rules(lines: Iterable[str]) -> list[_Rule]:
    """.jujuignore lines as rules: `#` comments, `!` keeps, a trailing `/` matches only
    directories, a leading `/` anchors at the top (else any depth); `*`, `?`, `[...]` stop
    at `/`, `**` does not."""
    rules = []
    for line in lines:
        rule = re.sub(r'(?<!\\) +$', '', line.strip('\r\n').lstrip())
        if not rule or rule.startswith('#'):
            continue
        keep = rule.startswith('!')
        rule = rule.lstrip('!')
        for escaped in ('\\!', '\\ ', '\\#'):
            rule = rule.replace(escaped, escaped[1])
        dirs_only = rule.endswith('/')
        rule = rule.rstrip('/')
        if not rule.startswith('/'):
            rule = f'**/{rule}'
        rules.append(_Rule(re.compile(_glob(rule), re.DOTALL), keep, dirs_only))
    return rules


def _glob(rule: str) -> str:
    """A .jujuignore pattern as a regular expression over `/`-prefixed relative paths."""
    out = []
    i = 0
    while i < len(rule):
        if rule.startswith('/**/', i):
            out.append('/(?:.*/)?')
            i += 4
        elif rule.startswith('**', i):
            out.append('.*')
            i += 2
        elif rule[i] == '*':
            out.append('[^/]*')
            i += 1
        elif rule[i] == '?':
            out.append('[^/]')
            i += 1
        elif rule[i] == '[' and (end := rule.find(']', i + 2)) != -1:
            body = rule[i + 1 : end]
            negate = body.startswith('!')
            body = re.sub(r'([\\&~|^\[])', r'\\\1', body[1:] if negate else body)
            out.append(f'[{"^" if negate else ""}{body}]')
            i = end + 1
        else:
            out.append(re.escape(rule[i]))
            i += 1
    return ''.join(out) + r'\Z'


def _ignored(rules: Iterable[_Rule], name: str, is_dir: bool) -> bool:
    """Whether `name` (relative to the charm) is left out: the last rule matching ignores,
    unless a `!` rule matches, which keeps it whatever comes after (jujuignore.py)."""
    path = f'/{name}'
    ignored = False
    for rule in rules:
        if (is_dir or not rule.dirs_only) and rule.regex.match(path):
            if rule.keep:
                return False
            ignored = True
    return ignored


def _walk(
    root: pathlib.Path, rules: list[_Rule], top: frozenset[str] | None
) -> dict[str, pathlib.Path]:
    """The files that go in: archive name -> the file on disk. Links inside the charm are
    followed, links leading outside it left out (the charm builder's rule); `top`, when
    given, limits the walk to those top-level names."""
    real_root = root.resolve()
    found: dict[str, pathlib.Path] = {}

    def visit(directory: pathlib.Path, prefix: str, seen: frozenset[pathlib.Path]) -> None:
        for path in sorted(directory.iterdir()):
            name = f'{prefix}{path.name}'
            if not prefix and top is not None and path.name not in top:
                continue
            is_dir = path.is_dir()
            if _ignored(rules, name, is_dir):
                continue
            real = path.resolve()
            if path.is_symlink() and real_root not in real.parents:
                continue
            if is_dir:
                if real not in seen:  # else a link back up: a loop
                    visit(path, f'{name}/', seen | {real})
            elif path.is_file():
                found[name] = path

    visit(root, '', frozenset((real_root,)))
    return found


def _write_zip(charm_file: pathlib.Path, files: Files, compression: int) -> None:
    """Write the archive: sorted entries, fixed times, unix modes in each entry's external
    attributes; written aside and moved into place, so no half-written charm is seen."""
    partial = charm_file.with_name(f'.{charm_file.name}.partial')
    try:
        with zipfile.ZipFile(partial, 'w', compression) as archive:
            for name in sorted(files):
                data, mode = files[name]
                info = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
                info.create_system = 3  # unix, so the mode below is read as one
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = compression
                archive.writestr(info, data)
        partial.replace(charm_file)
    finally:
        partial.unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True)
class _Entry:
    """An archive entry checked for unpacking."""

    info: zipfile.ZipInfo
    name: str
    kind: str  # 'file', 'dir' or 'link'
    mode: int = 0o644
    target: str = ''


def _checked_entries(charm_file: pathlib.Path, archive: zipfile.ZipFile) -> list[_Entry]:
    """Every entry, refused when its path or link would leave the charm directory, or when
    the archive holds no metadata.yaml (nor charmcraft.yaml)."""
    entries = []
    for info in archive.infolist():
        name = info.filename.rstrip('/')
        parts = pathlib.PurePosixPath(name).parts
        if not name or name.startswith('/') or '..' in parts or '\\' in name:
            raise PackError(f'{charm_file}: unsafe entry {info.filename!r} (outside the charm)')
        unix = info.external_attr >> 16 if info.create_system == 3 else 0
        if info.is_dir() or stat.S_ISDIR(unix):
            entries.append(_Entry(info, name, 'dir'))
        elif stat.S_ISLNK(unix):
            try:
                target = archive.read(info).decode()
            except (zipfile.BadZipFile, UnicodeDecodeError) as e:
                raise PackError(f'{charm_file}: unreadable link {name!r} ({e})') from None
            landing = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            if not target or target.startswith('/') or landing.split('/')[0] == '..':
                raise PackError(
                    f'{charm_file}: link {name!r} -> {target!r} points outside the charm'
                )
            entries.append(_Entry(info, name, 'link', target=target))
        else:
            mode = stat.S_IMODE(unix) & 0o777 or 0o644
            entries.append(_Entry(info, name, 'file', mode))
    links = {entry.name for entry in entries if entry.kind == 'link'}
    for entry in entries:
        parents = pathlib.PurePosixPath(entry.name).parents
        if any(str(parent) in links for parent in parents):
            raise PackError(f'{charm_file}: entry {entry.name!r} lies under a link')
    names = {entry.name for entry in entries if entry.kind != 'dir'}
    if not names & {'metadata.yaml', 'charmcraft.yaml'}:
        raise PackError(f'{charm_file}: not a charm archive (no metadata.yaml)')
    broken = archive.testzip()
    if broken is not None:
        raise PackError(f'{charm_file}: corrupt entry {broken!r}')
    return entries


def _inside(root: pathlib.Path, path: pathlib.Path) -> bool:
    return path == root or root in path.parents
