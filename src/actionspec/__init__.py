"""actionspec: the Juju action event model, as running code.

The controller side (`actionspec.juju`) is what Juju does; the charm side
(`actionspec.charm`) is what the charm framework does. Most users need only the names
re-exported here.
"""

from . import display, version
from .charm.charm import (
    ActionEvent,
    ActiveStatus,
    BlockedStatus,
    Charm,
    CollectStatusEvent,
    HookEvent,
    MaintenanceStatus,
    ModelError,
    RelationEvent,
    Status,
    WaitingStatus,
)
from .charm.framework import EventBase, Framework
from .display import diagram, report
from .juju.clock import SystemClock, TickingClock
from .juju.model import RunError
from .juju.operation import Operation, Task, TaskStatus
from .juju.render import CliOutput
from .launch.gates import hold
from .runtimes import Model
from .trace import Cause, Trace, TraceEntry

__all__ = [
    'ActionEvent',
    'ActiveStatus',
    'BlockedStatus',
    'Cause',
    'Charm',
    'CliOutput',
    'CollectStatusEvent',
    'EventBase',
    'Framework',
    'HookEvent',
    'MaintenanceStatus',
    'Model',
    'ModelError',
    'Operation',
    'RelationEvent',
    'RunError',
    'Status',
    'SystemClock',
    'Task',
    'TaskStatus',
    'TickingClock',
    'Trace',
    'TraceEntry',
    'WaitingStatus',
    'diagram',
    'hold',
    'report',
]
__version__ = version.VERSION

display.register_with_ipython()
