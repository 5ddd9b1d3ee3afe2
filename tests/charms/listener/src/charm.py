#!/usr/bin/env python3
"""A charm for the box's tests: it requires demo's greeting and says what it heard."""

import ops


class ListenerCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework) -> None:
        super().__init__(framework)
        framework.observe(self.on.heard_action, self._on_heard)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _heard(self) -> str:
        relation = self.model.get_relation('greeting')
        if relation is None or relation.app is None:
            return ''
        return relation.data[relation.app].get('greeting', '')

    def _on_heard(self, event: ops.ActionEvent) -> None:
        event.set_results({'greeting': self._heard()})

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        heard = self._heard()
        if heard:
            event.add_status(ops.ActiveStatus(f'heard {heard}'))
        else:
            event.add_status(ops.WaitingStatus('waiting for a greeting'))


if __name__ == '__main__':
    ops.main(ListenerCharm)
