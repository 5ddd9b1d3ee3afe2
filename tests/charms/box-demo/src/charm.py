#!/usr/bin/env python3
"""A charm for the box's tests: its actions succeed, fail, raise or take their time."""

import time

import ops


class DemoCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework) -> None:
        super().__init__(framework)
        framework.observe(self.on.echo_action, self._on_echo)
        framework.observe(self.on.fail_action, self._on_fail)
        framework.observe(self.on.raise_action, self._on_raise)
        framework.observe(self.on.slow_action, self._on_slow)
        framework.observe(self.on.greet_action, self._on_greet)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)
        framework.observe(self.on.greeting_relation_joined, self._publish)
        framework.observe(self.on.config_changed, self._publish)

    def _on_echo(self, event: ops.ActionEvent) -> None:
        event.set_results({'text': event.params['text']})

    def _on_fail(self, event: ops.ActionEvent) -> None:
        event.fail('as asked')

    def _on_raise(self, event: ops.ActionEvent) -> None:
        raise RuntimeError('as asked')

    def _on_slow(self, event: ops.ActionEvent) -> None:
        event.log('sleeping')
        time.sleep(event.params['seconds'])
        event.set_results({'slept': event.params['seconds']})

    def _on_greet(self, event: ops.ActionEvent) -> None:
        greeting = str(self.config['greeting'])
        event.set_results({'said': greeting.upper() if self.config['loud'] else greeting})

    def _publish(self, event: ops.EventBase) -> None:
        """The leader tells every listener the configured greeting."""
        if not self.unit.is_leader():
            return
        for relation in self.model.relations['greeting']:
            relation.data[self.app]['greeting'] = str(self.config['greeting'])

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        event.add_status(ops.ActiveStatus())


if __name__ == '__main__':
    ops.main(DemoCharm)
