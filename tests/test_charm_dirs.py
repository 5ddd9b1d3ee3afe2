"""Charm directories as Juju runs them: `dispatch`, else the legacy `actions/<name>` and
`hooks/<name>`, else nothing to run (juju/juju internal/worker/uniter/runner/runner.go
`discoverHookHandler`; context.go `finalizeAction`; operation/runhook.go). And
`actionspec juju-run` on such charms needs no ops."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import actionspec
from actionspec import charmmeta, cli
from actionspec.launch import charmdir

ACTIONS = 'go: {}\nmissing: {}\n'


def _legacy_charm(tmp_path: pathlib.Path) -> pathlib.Path:
    """A charm of the kind ops' own test charms are: no dispatch, one script per action."""
    charm = tmp_path / 'legacy'
    (charm / 'actions').mkdir(parents=True)
    (charm / 'metadata.yaml').write_text('name: legacy\npeers:\n  ring: {interface: ring}\n')
    (charm / 'actions.yaml').write_text(ACTIONS)
    script = charm / 'actions' / 'go'
    script.write_text(
        textwrap.dedent("""\
            #!/bin/sh
            action-set path="$JUJU_DISPATCH_PATH" cwd="$(pwd)"
            relation-set -r "$(relation-ids ring)" touched=yes
            echo went
            """)
    )
    script.chmod(0o755)
    return charm


def test_without_dispatch_the_action_script_runs(tmp_path):
    charm = _legacy_charm(tmp_path)
    model = actionspec.Model(clock=actionspec.TickingClock())
    app = charmdir.deploy_charm_dir(model, charm, units=2)
    task = model.run('legacy/0', action='go').tasks[0]
    assert task.status is actionspec.TaskStatus.COMPLETED, task
    assert task.results['path'] == 'actions/go'
    assert task.results['cwd'].endswith('/unit-legacy-0/charm')
    assert task.results['stdout'] == 'went\n'
    # The peer's relation-changed hook has no script: skipped, as Juju skips it.
    assert app.units['legacy/1'].status == ('unknown', '')


def test_an_action_with_nothing_to_run_is_not_implemented(tmp_path):
    model = actionspec.Model(clock=actionspec.TickingClock())
    charmdir.deploy_charm_dir(model, _legacy_charm(tmp_path))
    task = model.run('legacy/0', action='missing').tasks[0]
    assert task.status is actionspec.TaskStatus.FAILED
    assert task.message == 'action not implemented on unit "legacy/0"'
    assert task.results == {}  # nothing ran, so no output was captured


def test_dispatch_comes_before_the_legacy_script(tmp_path):
    charm = _legacy_charm(tmp_path)
    (charm / 'dispatch').write_text('#!/bin/sh\naction-set via=dispatch\n')
    (charm / 'dispatch').chmod(0o755)
    model = actionspec.Model(clock=actionspec.TickingClock())
    charmdir.deploy_charm_dir(model, charm)
    task = model.run('legacy/0', action='go').tasks[0]
    assert task.results.get('via') == 'dispatch' and 'path' not in task.results


def test_juju_run_on_a_legacy_charm(tmp_path, capsys):
    charm = str(_legacy_charm(tmp_path))
    code = cli.main(['juju-run', charm, 'legacy/0', 'missing', '--format', 'yaml'])
    out = capsys.readouterr()
    assert 'message: action not implemented on unit "legacy/0"\n  status: failed\n' in out.out
    assert 'results:' not in out.out
    assert out.err.startswith('Running operation 1 with 1 task\n')
    assert code == 0  # no process ran, so no return code to make `juju run` fail


def test_juju_run_without_metadata_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / 'empty').mkdir()
    assert cli.main(['juju-run', str(tmp_path / 'empty'), 'x/0', 'go']) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err == f'actionspec: error: {tmp_path / "empty"}: no metadata.yaml or charmcraft.yaml\n'


BLOCK_OPS = """
import importlib.abc, sys
class NoOps(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == 'ops' or name.startswith('ops.'):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoOps())
from actionspec import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_juju_run_needs_no_ops_for_a_charm_that_does_not_use_it(tmp_path):
    charm = _legacy_charm(tmp_path)
    ran = subprocess.run(
        [sys.executable, '-c', BLOCK_OPS, 'juju-run', str(charm), 'legacy/0', 'go'],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert 'path: actions/go' in ran.stdout
    # The same interpreter really has no ops.
    check = subprocess.run(
        [sys.executable, '-c', BLOCK_OPS.replace('from actionspec import cli', 'import ops')],
        capture_output=True,
        text=True,
        check=False,
    )
    assert 'No module named' in check.stderr


# -- one metadata type, read from every file a charm ships it in ---------------------------------
def test_metadata_from_charmcraft_yaml(tmp_path):
    (tmp_path / 'charmcraft.yaml').write_text(
        textwrap.dedent("""\
            name: db
            requires: {backend: {interface: pg}}
            peers: {ring: {interface: ring}}
            actions: {snapshot: {params: {to: {type: string}}}}
            config: {options: {port: {type: int, default: 5432}}}
            """)
    )
    meta = charmmeta.CharmMeta.read(tmp_path)
    assert (meta.name, meta.requires, meta.peers) == ('db', ('backend',), ('ring',))
    assert meta.actions == {'snapshot': {'params': {'to': {'type': 'string'}}}}
    assert meta.config == {'port': {'type': 'int', 'default': 5432}}
    assert 'snapshot_action' in meta.events() and 'ring_relation_changed' in meta.events()


def test_separate_files_win_over_charmcraft_yaml_and_round_trip(tmp_path):
    (tmp_path / 'charmcraft.yaml').write_text('name: old\nactions: {old: {}}\n')
    written = charmmeta.CharmMeta('db', {'go': {}}, provides=('api',), config={'x': {}})
    written.write(tmp_path)
    assert charmmeta.CharmMeta.read(tmp_path) == written


@pytest.mark.parametrize(
    ('name', 'data', 'message'),
    [
        ('metadata.yaml', b'name: [unclosed\n', 'metadata.yaml: while parsing a flow sequence'),
        ('metadata.yaml', b'- a list\n', 'metadata.yaml: expected a mapping, got list'),
        ('actions.yaml', b'go: {}\n\xff\n', 'actions.yaml: '),
    ],
)
def test_unreadable_metadata_names_its_file(tmp_path, name, data, message):
    (tmp_path / 'metadata.yaml').write_text('name: db\n')
    (tmp_path / name).write_bytes(data)
    with pytest.raises(charmmeta.MetadataError, match='^' + str(tmp_path / message)):
        charmmeta.CharmMeta.read(tmp_path)


def _ops_charm_with_a_lib(tmp_path: pathlib.Path, dispatch_line: str) -> pathlib.Path:
    """An ops charm that imports a charm library from `lib/`, as charmcraft lays one out."""
    charm = tmp_path / 'libbed'
    (charm / 'src').mkdir(parents=True)
    (charm / 'lib' / 'charms' / 'libbed' / 'v0').mkdir(parents=True)
    (charm / 'lib' / 'charms' / 'libbed' / 'v0' / 'answer.py').write_text('ANSWER = "42"\n')
    (charm / 'metadata.yaml').write_text('name: libbed\n')
    (charm / 'actions.yaml').write_text('ask: {}\n')
    (charm / 'src' / 'charm.py').write_text(
        textwrap.dedent("""\
            import ops
            from charms.libbed.v0 import answer

            class Charm(ops.CharmBase):
                def __init__(self, framework):
                    super().__init__(framework)
                    framework.observe(self.on.ask_action, self._on_ask)

                def _on_ask(self, event):
                    event.set_results({'answer': answer.ANSWER})

            if __name__ == '__main__':
                ops.main(Charm)
            """)
    )
    (charm / 'src' / 'charm.py').chmod(0o755)
    (charm / 'dispatch').write_text(f'#!/bin/sh\n# made by hand\n{dispatch_line}\n')
    (charm / 'dispatch').chmod(0o755)
    return charm


CHARMCRAFT_DISPATCH = (
    'JUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=lib:venv '
    '/usr/bin/env python3 ./src/charm.py'
)


def test_an_ops_dispatch_is_recognised_and_anything_else_is_run_as_it_is(tmp_path):
    charm = _ops_charm_with_a_lib(tmp_path, CHARMCRAFT_DISPATCH)
    assert charmdir.ops_dispatch(charm) == ('lib', 'venv')
    (charm / 'dispatch').write_text('#!/bin/sh\necho first\n' + CHARMCRAFT_DISPATCH + '\n')
    assert charmdir.ops_dispatch(charm) is None  # a dispatch with logic of its own
    (charm / 'dispatch').write_text('#!/bin/sh\n' + CHARMCRAFT_DISPATCH + '\n')
    (charm / 'venv' / 'ops').mkdir(parents=True)
    assert charmdir.ops_dispatch(charm) is None  # it ships its own ops
    assert charmdir.CharmDirectory(charm, zygote=object()).zygote is None  # type: ignore[arg-type]


@pytest.mark.needs_ops
def test_a_forked_ops_dispatch_sees_the_charm_libs_as_python_would(tmp_path):
    from actionspec.launch import zygote as zygote_

    charm = _ops_charm_with_a_lib(tmp_path, CHARMCRAFT_DISPATCH)
    zygote = zygote_.Zygote(str(charmdir.shared_agent().workdir), preload=('ops',))
    try:
        model = actionspec.Model(clock=actionspec.TickingClock())
        runtime = charmdir.CharmDirectory(charm, zygote=zygote)
        assert runtime.zygote is zygote  # an ops dispatch: forked from the zygote
        charmdir.deploy_charm_dir(model, charm, runtime=runtime)
        task = model.run('libbed/0', action='ask').tasks[0]
    finally:
        zygote.close()
    assert task.status is actionspec.TaskStatus.COMPLETED, task
    assert task.results['answer'] == '42'


def test_a_classic_python_action_forked_from_a_zygote_runs_as_if_executed(tmp_path):
    """A charm with no dispatch whose action is a script for this very interpreter may be
    forked from a zygote: it sees what it would see when the kernel ran it, and its
    uncaught exception reads the same (no frame of the zygote's)."""
    from actionspec.launch import scratch
    from actionspec.launch import zygote as zygote_

    charm = tmp_path / 'classic'
    (charm / 'actions').mkdir(parents=True)
    (charm / 'metadata.yaml').write_text('name: classic\n')
    (charm / 'actions.yaml').write_text('show: {}\n')
    script = charm / 'actions' / 'show'
    script.write_text(
        f'#!{sys.executable}\n'
        'import os, subprocess, sys\n'
        'seen = {"argv0": sys.argv[0], "cwd": os.getcwd(), "name": __name__,\n'
        '        "path": os.environ["JUJU_DISPATCH_PATH"], "parent": os.getppid()}\n'
        'subprocess.check_call(["action-set", *(f"{k}={v}" for k, v in seen.items())])\n'
        'raise ValueError("boom")\n'
    )
    script.chmod(0o755)
    assert charmdir.python_script(script)
    assert not charmdir.python_script(_legacy_charm(tmp_path) / 'actions' / 'go')  # sh
    zygote = zygote_.Zygote(str(scratch.scratch_dir('actionspec-test-')))
    seen = {}
    try:
        for way, forker in (('exec', None), ('fork', zygote)):
            model = actionspec.Model(clock=actionspec.TickingClock())
            runtime = charmdir.CharmDirectory(charm, zygote=forker)
            assert runtime.zygote is forker  # no dispatch: the zygote is kept
            charmdir.deploy_charm_dir(model, charm, runtime=runtime)
            task = model.run('classic/0', action='show').tasks[0]
            assert task.status is actionspec.TaskStatus.FAILED, task
            seen[way] = {k: v for k, v in task.results.items() if k != 'parent'}
            seen[way]['parent'] = int(task.results['parent'])
    finally:
        zygote.close()
    assert seen['fork']['parent'] == zygote.proc.pid  # forked by the zygote ...
    assert seen['exec']['parent'] == os.getpid()  # ... or started by this process
    for found in seen.values():
        found.pop('parent')
        for key in ('argv0', 'cwd', 'stderr'):  # each model has its own units' directories
            found[key] = re.sub(r'/\S*/unit-', '.../unit-', found[key])
    assert seen['fork'] == seen['exec']
    assert seen['fork']['name'] == '__main__'
    assert seen['fork']['path'] == 'actions/show'
    assert (seen['fork']['argv0'], seen['fork']['cwd']) == (
        '.../unit-classic-0/charm/actions/show',
        '.../unit-classic-0/charm',
    )
    assert seen['fork']['stderr'] == (
        'Traceback (most recent call last):\n'
        '  File ".../unit-classic-0/charm/actions/show", line 6, in <module>\n'
        '    raise ValueError("boom")\n'
        'ValueError: boom\n'
    )
