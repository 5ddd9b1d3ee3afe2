"""Juju versions as data: every rule that differs between releases reads its profile here."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class JujuProfile:
    """What one Juju release does where releases disagree.

    Sources are named on each field so a reader can check them against juju/juju.
    """

    version: str
    # J11: JUJU_VERSION as the unit agent sets it.
    agent_version: str
    # J1: segments `action-set` refuses (internal/worker/uniter/runner/jujuc/action-set.go;
    # added in 3.0 by juju/juju#13748, absent in 2.9).
    reserved_result_keys: frozenset[str]
    # J6: result keys under which the uniter stores captured output
    # (worker/uniter/runner/runner.go `updateActionResults`).
    stdout_key: str
    stderr_key: str
    return_code_key: str
    # 2.9 stores `StdoutEncoding` and the code as a string; 3.x `stdout-encoding`, a number.
    encoding_suffix: str
    return_code_is_string: bool
    # J7: `additionalProperties` when actions.yaml does not say (juju/juju#21294).
    additional_properties_default: bool
    # J12: the command an administrator types.
    run_command: str
    # J12: what that command prints. 2.9's `run-action --wait` prints the "compat" layout
    # (tasks keyed by unit tag, `UnitId`, `ReturnCode`) with nothing on stderr and no
    # failure summary (2.9.31 cmd/juju/action/runaction.go, showoutput.go); 3.x's `juju run`
    # prints per unit, with progress on stderr and an error for non-zero exits (run.go).
    compat_run_output: bool
    # J5, J12: 2.9 and 3.x store times to the second (state/action.go `nowToTheSecond`);
    # 4.0 keeps nanoseconds.
    timestamps_to_the_second: bool = True
    # J9: operations and tasks share one sequence, from 1 (3.x) or from 0 (4.0,
    # domain/operation/state/start.go).
    first_id: int = 1
    # J3: `action-log` messages past this many are dropped silently; the check is made
    # before storing, so one more is kept (3.x state/action.go `Log`). None: no limit
    # (4.0 keeps logs elsewhere).
    log_limit: int | None = 1000
    # J17: how long `juju run` waits without `--wait`, in seconds (3.x common.go: 60 s);
    # None: until done (2.9's `run-action --wait`).
    default_wait: float | None = 60.0
    # J7, J16: 4.0's unit agent checks params when it takes the task, which then ends in
    # error (juju/juju#20907); 3.x checks them when queueing.
    params_checked_by_agent: bool = False
    # J16: 4.0's API refuses an action the charm does not define, with Juju's error kind
    # (juju/juju#21752); 3.x queues a task in error.
    unknown_action_refused_by_api: bool = False

    @property
    def stdout_encoding_key(self) -> str:
        return self.stdout_key + self.encoding_suffix

    @property
    def stderr_encoding_key(self) -> str:
        return self.stderr_key + self.encoding_suffix

    @property
    def captured_keys(self) -> frozenset[str]:
        """Every result key the uniter writes for the process's output (J6)."""
        return frozenset(
            {
                self.stdout_key,
                self.stderr_key,
                self.return_code_key,
                self.stdout_encoding_key,
                self.stderr_encoding_key,
            }
        )


JUJU_2_9 = JujuProfile(
    version='2.9',
    agent_version='2.9.52',
    reserved_result_keys=frozenset(),
    stdout_key='Stdout',
    stderr_key='Stderr',
    return_code_key='Code',
    encoding_suffix='Encoding',
    return_code_is_string=True,
    additional_properties_default=True,
    run_command='juju run-action --wait',
    compat_run_output=True,
    default_wait=None,
)

JUJU_3_6 = JujuProfile(
    version='3.6',
    agent_version='3.6.12',
    reserved_result_keys=frozenset({'stdout', 'stdout-encoding', 'stderr', 'stderr-encoding'}),
    stdout_key='stdout',
    stderr_key='stderr',
    return_code_key='return-code',
    encoding_suffix='-encoding',
    return_code_is_string=False,
    additional_properties_default=True,
    run_command='juju run',
    compat_run_output=False,
)

JUJU_4_0 = dataclasses.replace(
    JUJU_3_6,
    version='4.0',
    agent_version='4.0.0',
    timestamps_to_the_second=False,
    first_id=0,
    additional_properties_default=False,
    params_checked_by_agent=True,
    unknown_action_refused_by_api=True,
    log_limit=None,
)

PROFILES: dict[str, JujuProfile] = {p.version: p for p in (JUJU_2_9, JUJU_3_6, JUJU_4_0)}
DEFAULT_VERSION = '3.6'


def profile(version: str) -> JujuProfile:
    """The profile for `version` ('3.6', '3.6.12', ...); unknown versions are an error."""
    key = '.'.join(version.split('.')[:2])
    try:
        return PROFILES[key]
    except KeyError:
        known = ', '.join(sorted(PROFILES))
        raise ValueError(f'unknown Juju version {version!r} (known: {known})') from None
