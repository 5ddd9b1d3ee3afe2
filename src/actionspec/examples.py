"""Charms used by the demo, the README and the benchmarks."""

from __future__ import annotations

import pathlib
from typing import Any

from .charm import charm, framework

SNAPSHOT_ACTIONS = """
snapshot-database:
  description: Write a snapshot of the database to a file.
  params:
    outfile:
      type: string
      description: Where to write the snapshot.
    compress:
      type: boolean
      default: true
  required: [outfile]
"""


class DatabaseCharm(charm.Charm):
    """Snapshots its database on request and tells its peers where the snapshot went."""

    def __init__(self, framework: framework.Framework) -> None:
        super().__init__(framework)
        framework.observe(self.on.snapshot_database_action, self._on_snapshot)
        framework.observe(self.on.update_status, self._on_update_status)
        framework.observe(self.on.replicas_relation_changed, self._on_peer_changed)

    def _on_snapshot(self, event: charm.ActionEvent) -> None:
        outfile = event.params['outfile']
        event.log(f'snapshotting to {outfile}')
        if self.unit.name.endswith('/1'):
            event.fail('disk full')
            return
        event.set_results({'snapshot': {'path': outfile, 'compressed': event.params['compress']}})
        peers = self.model.get_relation('replicas')
        if peers is not None:
            peers.data[self.unit]['last-snapshot'] = outfile

    def _on_update_status(self, event: framework.EventBase) -> None:
        pass

    def _on_peer_changed(self, event: framework.EventBase) -> None:
        pass


class BenchCharm(charm.Charm):
    """The benchmark's behaviour: log one line, set one nested result."""

    def __init__(self, framework: framework.Framework) -> None:
        super().__init__(framework)
        framework.observe(self.on.do_action, self._on_do)

    def _on_do(self, event: charm.ActionEvent) -> None:
        event.log('working')
        event.set_results({'answer': {'value': event.params['n']}})


def ops_bench_charm() -> Any:
    """The same behaviour as BenchCharm, as an ops charm (needs `actionspec[ops]`)."""
    # ops is an optional extra; only this charm needs it.
    import ops

    class OpsBenchCharm(ops.CharmBase):
        def __init__(self, framework: ops.Framework) -> None:
            super().__init__(framework)
            framework.observe(self.on.do_action, self._on_do)

        def _on_do(self, event: ops.ActionEvent) -> None:
            event.log('working')
            event.set_results({'answer': {'value': event.params.get('n', 1)}})

    return OpsBenchCharm


# A charm directory as charmcraft's init lays one out: the box's benchmark, its guide and
# its notebook deploy it (`write_ops_charm`).
OPS_CHARM_FILES = {
    'charmcraft.yaml': """\
name: snapshot
type: charm
summary: Snapshots its database on request.
description: An ops charm with one action, for the box's guide and benchmark.
base: ubuntu@24.04
platforms:
  amd64:
parts:
  charm:
    plugin: uv
    source: .
actions:
  snapshot-database:
    description: Write a snapshot of the database to a file.
    params:
      outfile:
        type: string
    required: [outfile]
config:
  options:
    compress:
      type: boolean
      default: true
      description: Whether snapshots are compressed.
peers:
  replicas:
    interface: snapshot-replicas
""",
    'src/charm.py': '''\
#!/usr/bin/env python3
"""Snapshots its database on request."""

import ops


class SnapshotCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.snapshot_database_action, self._on_snapshot)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_snapshot(self, event: ops.ActionEvent):
        outfile = event.params['outfile']
        event.log(f'snapshotting to {outfile}')
        if not outfile.startswith('/'):
            event.fail(f'not an absolute path: {outfile}')
            return
        event.set_results({'snapshot': {'path': outfile, 'compressed': self.config['compress']}})

    def _on_collect_status(self, event: ops.CollectStatusEvent):
        event.add_status(ops.ActiveStatus('ready'))


if __name__ == '__main__':
    ops.main(SnapshotCharm)
''',
}


def write_ops_charm(directory: pathlib.Path) -> pathlib.Path:
    """Write the example ops charm into `directory` (its source; `actionspec box pack` or
    `juju deploy` of the directory builds it) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in OPS_CHARM_FILES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding='utf-8')
    (directory / 'src' / 'charm.py').chmod(0o755)
    return directory
