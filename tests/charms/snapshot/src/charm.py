#!/usr/bin/env python3
"""A plain ops charm: snapshots on request, refuses on its second unit."""

import logging

import ops

logger = logging.getLogger(__name__)


class SnapshotCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.snapshot_database_action, self._on_snapshot)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_snapshot(self, event: ops.ActionEvent):
        outfile = event.params['outfile']
        event.log(f'writing {outfile}')
        print(f'snapshot of {self.unit.name}')
        if self.unit.name.endswith('/1'):
            event.fail('disk full')
            return
        event.set_results({'snapshot': {'path': outfile, 'compressed': event.params['compress']}})
        peers = self.model.get_relation('replicas')
        if peers is not None:
            peers.data[self.unit]['last-snapshot'] = outfile

    def _on_collect_status(self, event: ops.CollectStatusEvent):
        event.add_status(ops.ActiveStatus('ready'))


if __name__ == '__main__':
    ops.main(SnapshotCharm)
