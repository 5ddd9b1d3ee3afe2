"""`.charm` archives: packed as charmcraft lays one out (canonical/charmcraft
charmcraft/charm_builder.py, services/package.py, jujuignore.py, const.py, dispatch.py),
and unpacked without writing outside the destination."""

from __future__ import annotations

import os
import pathlib
import stat
import zipfile

import pytest
import yaml

from actionspec import charmmeta
from actionspec.box import pack

CHARMS = pathlib.Path(__file__).parent / 'charms'
HOOKS = ['hooks/install', 'hooks/start', 'hooks/upgrade-charm']

# charmcraft/const.py DISPATCH_CONTENT, as the charm plugin writes it for src/charm.py.
CHARM_PLUGIN_DISPATCH = (
    '#!/bin/sh\n'
    '\n'
    'JUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=lib:venv \\\n'
    '  exec ./src/charm.py\n'
)

UNIFIED = """\
name: unified
type: charm
title: Unified
summary: A charm whose metadata all lives in charmcraft.yaml.
description: |
  Packed by the tests.
links:
  documentation: https://example.com/docs
  contact: Someone <someone@example.com>
  source: https://example.com/src
base: ubuntu@22.04
platforms:
  amd64:
parts:
  charm:
    plugin: charm
    source: .
requires:
  db:
    interface: postgresql
peers:
  ring:
    interface: unified-ring
actions:
  snapshot:
    description: Take a snapshot.
    params:
      outfile:
        type: string
    required: [outfile]
  ping: {}
config:
  options:
    greeting:
      type: string
      default: hello
"""

CHARM_PY = """\
#!/usr/bin/env python3
import ops

if __name__ == '__main__':
    ops.main(ops.CharmBase)
"""


def _unified(tmp_path: pathlib.Path) -> pathlib.Path:
    """A charm with a unified charmcraft.yaml (actions and config inside), no metadata.yaml
    and no dispatch."""
    charm = tmp_path / 'unified'
    (charm / 'src').mkdir(parents=True)
    (charm / 'charmcraft.yaml').write_text(UNIFIED)
    (charm / 'src' / 'charm.py').write_text(CHARM_PY)
    (charm / 'src' / 'charm.py').chmod(0o755)
    (charm / 'README.md').write_text('# unified\n')
    return charm


def _names(charm_file: pathlib.Path) -> list[str]:
    with zipfile.ZipFile(charm_file) as archive:
        return archive.namelist()


def _read(charm_file: pathlib.Path, name: str) -> bytes:
    with zipfile.ZipFile(charm_file) as archive:
        return archive.read(name)


def _charm(tmp_path: pathlib.Path, name: str) -> pathlib.Path:
    """A test charm by name: one of tests/charms, or the unified one made here."""
    return _unified(tmp_path) if name == 'unified' else CHARMS / name


def _zip(path: pathlib.Path, entries: list[tuple[str, bytes, int]]) -> pathlib.Path:
    """A zip of (name, data, unix mode) entries, links included (S_IFLNK, data = target)."""
    with zipfile.ZipFile(path, 'w') as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


def test_pack_snapshot_lays_out_a_charm(tmp_path: pathlib.Path) -> None:
    charm_file = pack.pack(CHARMS / 'snapshot', tmp_path / 'out')
    assert charm_file == tmp_path / 'out' / 'snapshot_ubuntu-24.04-amd64.charm'
    assert _names(charm_file) == [
        'actions.yaml',
        'dispatch',
        *HOOKS,
        'manifest.yaml',
        'metadata.yaml',
        'src/charm.py',
    ]
    # The charm's own dispatch, and each mandatory hook a copy of it (links are zipped as
    # their target, charmcraft/utils/file.py build_zip).
    dispatch = (CHARMS / 'snapshot' / 'dispatch').read_bytes()
    assert _read(charm_file, 'dispatch') == dispatch
    for hook in HOOKS:
        assert _read(charm_file, hook) == dispatch
    assert (
        _read(charm_file, 'metadata.yaml') == (CHARMS / 'snapshot' / 'metadata.yaml').read_bytes()
    )


def test_pack_box_demo_keeps_config(tmp_path: pathlib.Path) -> None:
    charm_file = pack.pack(CHARMS / 'box-demo', tmp_path)
    assert charm_file.name == 'demo_ubuntu-24.04-amd64.charm'
    assert _names(charm_file) == [
        'actions.yaml',
        'config.yaml',
        'dispatch',
        *HOOKS,
        'manifest.yaml',
        'metadata.yaml',
        'src/charm.py',
    ]
    assert _read(charm_file, 'config.yaml') == (CHARMS / 'box-demo' / 'config.yaml').read_bytes()


def test_pack_unified_charmcraft_yaml(tmp_path: pathlib.Path) -> None:
    charm = _unified(tmp_path)
    charm_file = pack.pack(charm, tmp_path / 'out')
    # A platforms charm is named after its platform (services/package.py get_charm_name).
    assert charm_file.name == 'unified_amd64.charm'
    assert _names(charm_file) == [
        'README.md',
        'actions.yaml',
        'config.yaml',
        'dispatch',
        *HOOKS,
        'manifest.yaml',
        'metadata.yaml',
        'src/charm.py',
    ]
    assert _read(charm_file, 'dispatch').decode() == CHARM_PLUGIN_DISPATCH
    source = charmmeta.CharmMeta.read(charm)
    assert yaml.safe_load(_read(charm_file, 'actions.yaml')) == source.actions
    assert yaml.safe_load(_read(charm_file, 'config.yaml')) == {'options': source.config}
    assert yaml.safe_load(_read(charm_file, 'metadata.yaml')) == {
        'name': 'unified',
        'display-name': 'Unified',
        'summary': 'A charm whose metadata all lives in charmcraft.yaml.',
        'description': 'Packed by the tests.\n',
        'docs': 'https://example.com/docs',
        'maintainers': ['Someone <someone@example.com>'],
        'source': 'https://example.com/src',
        'requires': {'db': {'interface': 'postgresql'}},
        'peers': {'ring': {'interface': 'unified-ring'}},
    }
    manifest = yaml.safe_load(_read(charm_file, 'manifest.yaml'))
    assert manifest['bases'] == [
        {'name': 'ubuntu', 'channel': '22.04', 'architectures': ['amd64']}
    ]
    assert manifest['charmcraft-started-at'] == pack.STARTED_AT
    assert manifest['analysis'] == {
        'attributes': [
            {'name': 'language', 'result': 'python'},
            {'name': 'framework', 'result': 'unknown'},
        ]
    }


@pytest.mark.parametrize('name', ['snapshot', 'box-demo', 'unified'])
def test_round_trip_keeps_metadata(tmp_path: pathlib.Path, name: str) -> None:
    charm = _charm(tmp_path, name)
    unpacked = pack.unpack(pack.pack(charm, tmp_path / 'out'), tmp_path / 'unpacked')
    assert unpacked == tmp_path / 'unpacked'
    assert charmmeta.CharmMeta.read(unpacked) == charmmeta.CharmMeta.read(charm)


@pytest.mark.parametrize('name', ['snapshot', 'box-demo', 'unified'])
def test_unpack_restores_modes(tmp_path: pathlib.Path, name: str) -> None:
    charm_file = pack.pack(_charm(tmp_path, name), tmp_path / 'out')
    with zipfile.ZipFile(charm_file) as archive:
        assert archive.getinfo('dispatch').external_attr >> 16 == stat.S_IFREG | 0o755
    unpacked = pack.unpack(charm_file, tmp_path / 'unpacked')
    for executable in ('dispatch', 'hooks/install', 'src/charm.py'):
        assert os.access(unpacked / executable, os.X_OK), executable
    assert stat.S_IMODE((unpacked / 'metadata.yaml').stat().st_mode) == 0o644


@pytest.mark.parametrize('name', ['snapshot', 'box-demo', 'unified'])
def test_packing_twice_gives_the_same_bytes(tmp_path: pathlib.Path, name: str) -> None:
    charm = _charm(tmp_path, name)
    first = pack.pack(charm, tmp_path / 'first')
    if name == 'unified':  # a charm of our own: its files' times may change
        for path in charm.rglob('*'):
            os.utime(path, (1_000_000_000, 1_000_000_000))
    second = pack.pack(charm, tmp_path / 'second')
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {pack.ENTRY_TIME}
        assert archive.namelist() == sorted(archive.namelist())


def test_pack_leaves_out_what_charmcraft_leaves_out(tmp_path: pathlib.Path) -> None:
    charm = tmp_path / 'charm'
    outside = tmp_path / 'outside.txt'
    outside.write_text('secret')
    files = {
        'metadata.yaml': 'name: ignoring\n',
        'charmcraft.yaml': 'type: charm\nbases:\n- name: ubuntu\n  channel: "22.04"\n',
        'dispatch': '#!/bin/sh\necho hi\n',
        'LICENSE': 'Apache-2.0\n',
        'icon.svg': '<svg/>\n',
        'version': '1.2\n',
        'revision': '7\n',
        'old.charm': 'zip',
        'src/charm.py': 'print(1)\n',
        'src/__pycache__/charm.cpython-311.pyc': 'bytecode',
        'lib/charms/x/v0/y.py': '',
        '.git/HEAD': 'ref',
        '.tox/py/x': '',
        'build/leftover': '',
        'docs/build/page.html': '',
        'venv/ops/__init__.py': '',
        'staging-venv/x': '',
        'tests/test_x.py': '',
        'debug.log': '',
        'keep.log': '',
        '.jujuignore': '/tests\n*.log\n!keep.log\n',
    }
    for name, text in files.items():
        (charm / name).parent.mkdir(parents=True, exist_ok=True)
        (charm / name).write_text(text)
    (charm / 'dispatch').chmod(0o755)
    (charm / 'outside-link').symlink_to(outside)
    (charm / 'inside-link').symlink_to(charm / 'LICENSE')
    (charm / 'lib-link').symlink_to(charm / 'lib')
    (charm / 'lib' / 'loop').symlink_to(charm / 'lib')

    charm_file = pack.pack(charm, tmp_path / 'out')
    # A bases charm is named after its build base and run-on architectures.
    assert charm_file.name == 'ignoring_ubuntu-22.04-amd64.charm'
    assert _names(charm_file) == [
        'LICENSE',
        'dispatch',
        'docs/build/page.html',
        *HOOKS,
        'icon.svg',
        'inside-link',
        'keep.log',
        'lib-link/charms/x/v0/y.py',
        'lib/charms/x/v0/y.py',
        'manifest.yaml',
        'metadata.yaml',
        'src/charm.py',
        'venv/ops/__init__.py',
        'version',
    ]
    assert _read(charm_file, 'inside-link') == b'Apache-2.0\n'
    # `dispatch` runs no Python file, so charmcraft's analysis knows no language.
    manifest = yaml.safe_load(_read(charm_file, 'manifest.yaml'))
    assert manifest['analysis']['attributes'][0] == {'name': 'language', 'result': 'unknown'}


def test_framework_is_operator_with_ops_in_venv(tmp_path: pathlib.Path) -> None:
    charm = _unified(tmp_path)
    (charm / 'venv' / 'ops').mkdir(parents=True)
    (charm / 'venv' / 'ops' / '__init__.py').write_text('')
    manifest = yaml.safe_load(_read(pack.pack(charm, tmp_path / 'out'), 'manifest.yaml'))
    assert manifest['analysis']['attributes'] == [
        {'name': 'language', 'result': 'python'},
        {'name': 'framework', 'result': 'operator'},
    ]


def test_hooks_linked_to_the_entrypoint_run_dispatch(tmp_path: pathlib.Path) -> None:
    charm = _unified(tmp_path)
    (charm / 'hooks').mkdir()
    (charm / 'hooks' / 'config-changed').symlink_to('../src/charm.py')
    (charm / 'hooks' / 'stop').write_text('#!/bin/sh\necho stop\n')
    charm_file = pack.pack(charm, tmp_path / 'out')
    assert _read(charm_file, 'hooks/config-changed').decode() == CHARM_PLUGIN_DISPATCH
    assert _read(charm_file, 'hooks/stop') == b'#!/bin/sh\necho stop\n'
    assert _read(charm_file, 'hooks/install').decode() == CHARM_PLUGIN_DISPATCH


def test_uv_plugin_ships_src_and_lib(tmp_path: pathlib.Path) -> None:
    charm = _unified(tmp_path)
    craft = (charm / 'charmcraft.yaml').read_text().replace('plugin: charm', 'plugin: uv')
    (charm / 'charmcraft.yaml').write_text(craft)
    (charm / 'lib').mkdir()
    (charm / 'lib' / 'helper.py').write_text('')
    (charm / 'tox.ini').write_text('')
    charm_file = pack.pack(charm, tmp_path / 'out')
    assert _names(charm_file) == [
        'actions.yaml',
        'config.yaml',
        'dispatch',
        'lib/helper.py',
        'manifest.yaml',
        'metadata.yaml',
        'src/charm.py',
    ]
    dispatch = _read(charm_file, 'dispatch').decode()
    assert dispatch.startswith('#!/bin/sh\ndispatch_path="$(dirname $(realpath $0))"\n')
    assert dispatch.endswith('exec "${python_path}" "${dispatch_path}/src/charm.py"\n')


def test_pack_refuses_a_directory_that_is_not_a_charm(tmp_path: pathlib.Path) -> None:
    (tmp_path / 'plain').mkdir()
    with pytest.raises(pack.PackError) as caught:
        pack.pack(tmp_path / 'plain', tmp_path / 'out')
    assert str(caught.value) == (
        f'{tmp_path / "plain"}: not a charm directory (no metadata.yaml or charmcraft.yaml)'
    )
    assert not (tmp_path / 'out').exists()


def test_pack_refuses_actions_twice(tmp_path: pathlib.Path) -> None:
    charm = _unified(tmp_path)
    (charm / 'actions.yaml').write_text('other: {}\n')
    with pytest.raises(pack.PackError, match=r'charmcraft\.yaml: actions also in actions\.yaml$'):
        pack.pack(charm, tmp_path / 'out')


def test_unpack_refuses_a_path_outside(tmp_path: pathlib.Path) -> None:
    evil = _zip(
        tmp_path / 'evil.charm',
        [('metadata.yaml', b'name: evil\n', 0o100644), ('../evil', b'gotcha', 0o100644)],
    )
    with pytest.raises(pack.PackError) as caught:
        pack.unpack(evil, tmp_path / 'dest' / 'charm')
    message = str(caught.value)
    assert message == f"{evil}: unsafe entry '../evil' (outside the charm)"
    assert '\n' not in message
    assert not (tmp_path / 'dest').exists()


def test_unpack_refuses_an_absolute_path(tmp_path: pathlib.Path) -> None:
    evil = _zip(
        tmp_path / 'abs.charm',
        [('metadata.yaml', b'name: x\n', 0o100644), ('/tmp/evil', b'', 0o100644)],
    )
    with pytest.raises(pack.PackError, match='unsafe entry'):
        pack.unpack(evil, tmp_path / 'dest')


@pytest.mark.parametrize(
    ('links', 'before_writing'),
    [
        ([('escape', b'../../outside', stat.S_IFLNK | 0o777)], True),
        ([('escape', b'/etc/passwd', stat.S_IFLNK | 0o777)], True),
        # Each lexically inside, together outside: `up` -> `.`, so `up/..` is the parent;
        # only found once the links exist, and then they are removed.
        ([('up', b'.', stat.S_IFLNK | 0o777), ('escape', b'up/..', stat.S_IFLNK | 0o777)], False),
        # A file written through a link.
        ([('sub', b'.', stat.S_IFLNK | 0o777), ('sub/x', b'data', stat.S_IFREG | 0o644)], True),
    ],
)
def test_unpack_refuses_links_outside(
    tmp_path: pathlib.Path, links: list[tuple[str, bytes, int]], before_writing: bool
) -> None:
    evil = _zip(tmp_path / 'links.charm', [('metadata.yaml', b'name: x\n', 0o100644), *links])
    dest = tmp_path / 'a' / 'dest'
    with pytest.raises(pack.PackError) as caught:
        pack.unpack(evil, dest)
    assert str(caught.value).startswith(f'{evil}: ')
    assert '\n' not in str(caught.value)
    if before_writing:
        assert not dest.exists()
    else:
        assert [p for p in dest.rglob('*') if p.is_symlink()] == []


def test_unpack_keeps_links_inside(tmp_path: pathlib.Path) -> None:
    archive = _zip(
        tmp_path / 'links.charm',
        [
            ('metadata.yaml', b'name: x\n', 0o100644),
            ('dispatch', b'#!/bin/sh\n', stat.S_IFREG | 0o755),
            ('hooks/install', b'../dispatch', stat.S_IFLNK | 0o777),
        ],
    )
    dest = pack.unpack(archive, tmp_path / 'dest')
    assert (dest / 'hooks' / 'install').is_symlink()
    assert (dest / 'hooks' / 'install').read_bytes() == b'#!/bin/sh\n'


def test_unpack_refuses_a_file_that_is_not_a_zip(tmp_path: pathlib.Path) -> None:
    not_zip = tmp_path / 'x.charm'
    not_zip.write_text('name: x\n')
    with pytest.raises(pack.PackError) as caught:
        pack.unpack(not_zip, tmp_path / 'dest')
    assert str(caught.value) == f'{not_zip}: not a charm archive (not a zip file)'
    assert not (tmp_path / 'dest').exists()


def test_unpack_refuses_a_zip_without_metadata(tmp_path: pathlib.Path) -> None:
    archive = _zip(tmp_path / 'x.charm', [('README.md', b'hello\n', 0o100644)])
    with pytest.raises(pack.PackError) as caught:
        pack.unpack(archive, tmp_path / 'dest')
    assert str(caught.value) == f'{archive}: not a charm archive (no metadata.yaml)'
    assert not (tmp_path / 'dest').exists()


def test_unpack_accepts_a_unified_charmcraft_yaml(tmp_path: pathlib.Path) -> None:
    archive = _zip(
        tmp_path / 'x.charm',
        [('charmcraft.yaml', UNIFIED.encode(), 0o100644)],
    )
    dest = pack.unpack(archive, tmp_path / 'dest')
    assert charmmeta.CharmMeta.read(dest).name == 'unified'
