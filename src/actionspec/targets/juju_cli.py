"""Any `juju` CLI as a conformance target: a real controller, or the box.

For each scenario the target adds a model of its own, deploys the kit's scripted charm
(packed as a `.charm` that carries ops and the kit's charm side, so it runs on any unit
with a `python3`), relates the applications, puts the scenario's deferred events in the
units' stores by running hooks through `juju exec`, and then runs the invocation with
`juju run`. What it reports comes from the CLI (the run's output, `show-operation`,
`show-task`, `show-unit`) and from what the scripted charm noted on each unit, read back
with `juju exec`. The model is destroyed afterwards, unless the next scenario can use it
as it is (`_unmarked`); a run that is interrupted destroys every model it added
(`JujuTarget.clean_up`).

What a CLI cannot do (hold a charm mid-dispatch, choose the leader, move a model's
clock) makes the scenario skip with the reason; it is never passed.
"""

from __future__ import annotations

import atexit
import base64
import dataclasses
import importlib.metadata
import json
import os
import pathlib
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .. import charmmeta
from ..box import pack
from ..juju import versions
from ..launch import scratch
from ..suite import contract, target
from ..suite import scenario as scenario_

# Hooks a unit can be made to dispatch with `juju exec` alone (no relation context):
# how an event is "deferred earlier" on a unit the target reaches only through Juju.
SEEDABLE_HOOKS = frozenset(
    {'install', 'start', 'stop', 'config-changed', 'update-status', 'upgrade-charm'}
)
# Keys Juju writes into every unit's relation bag itself (the addresses it advertises);
# the scenarios speak of what charms wrote.
JUJU_RELATION_KEYS = frozenset({'egress-subnets', 'ingress-address', 'private-address'})
# A model is quiet when every unit's agent is idle in this many looks in a row, this far
# apart (seconds). An idle agent has nothing left to run, but what another unit just did
# (relation data it wrote) reaches it a moment later, so one look is not enough (jubilant's
# `wait` asks the same). The box passes such changes on within milliseconds.
QUIET_LOOKS = 3
LOOK_INTERVAL = 1.0
BOX_LOOK_INTERVAL = 0.1
BOX_CLOUD = 'box'
# How long a model may take to deploy, or to go quiet, before the scenario errors.
QUIET_TIMEOUT = 900.0
# Operation statuses that may still change (core/actions: pending, running, aborting).
UNFINISHED = frozenset({'pending', 'running', 'aborting'})
# Model config for every model the target adds: no update-status hook during a scenario.
MODEL_CONFIG = ('update-status-hook-interval=60m',)
# Where the scripted charm's Python packages go in the charm (charmcraft's charm plugin).
VENV = 'venv'
# The kit's package inside the charm: only its modules, under an `__init__` that imports
# nothing (the kit's own imports the whole kit, jsonschema and all).
PACKED_KIT_INIT = '"""actionspec\'s charm side, packed into a charm by the `juju` target."""\n'
MODEL_NAME = re.compile(r'^[a-z0-9]+[a-z0-9-]*$')


class JujuCommandError(RuntimeError):
    """A `juju` command the target needed failed; the text is the command and its error."""


@dataclasses.dataclass(frozen=True)
class Juju:
    """The `juju` CLI with one environment, optionally aimed at one model (`JUJU_MODEL`,
    so command lines stay exactly as a scenario writes them)."""

    env: Mapping[str, str]
    model: str = ''

    def __call__(self, *words: str, check: bool = True) -> target.CommandOutput:
        env = dict(self.env)
        if self.model:
            env['JUJU_MODEL'] = self.model
        try:
            done = subprocess.run(
                ['juju', *words], env=env, capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            raise JujuCommandError('no `juju` on PATH') from None
        said = target.CommandOutput(done.stdout, done.stderr, done.returncode)
        if check and done.returncode:
            error = done.stderr.strip().splitlines()[-1:] or [f'exit status {done.returncode}']
            raise JujuCommandError(f'juju {" ".join(words)}: {error[0]}')
        return said

    def json(self, command: str, *words: str) -> Any:
        """A command's output as JSON (the flag goes first: what follows `--` is not the
        command's)."""
        return json.loads(self(command, '--format', 'json', *words).stdout)

    def in_model(self, model: str) -> Juju:
        return dataclasses.replace(self, model=model)


def client_version(juju: Juju) -> str:
    """The Juju version (major.minor) the CLI speaks."""
    said = juju('version').stdout.strip()
    found = re.match(r'^(\d+)\.(\d+)', said)
    if found is None:
        raise JujuCommandError(f'juju version: cannot read {said!r}')
    return f'{found[1]}.{found[2]}'


def _cannot_observe(case: scenario_.Scenario) -> str | None:
    """Why a scenario cannot be run through a CLI, or None."""
    if any(step.kind == 'hold' for step in case.every_step()):
        return 'it holds a charm mid-dispatch, which only the kit can release'
    moves = {step.kind for step in case.steps} - {'run', 'juju'}
    if moves:
        return f'its steps {", ".join(sorted(moves))} need the model paused or its clock moved'
    for app in case.apps:
        if app.leader is None:
            return 'Juju always elects a leader: a CLI cannot leave an application without one'
        if app.leader != 0:
            return f'Juju elects the leader itself: a CLI cannot make unit {app.leader} leader'

        if app.machines:
            return 'it places units on given machines'
    for events in case.deferred.values():
        for event in events:
            if event.replace('_', '-') not in SEEDABLE_HOOKS:
                return f'a deferred {event} cannot be dispatched through `juju exec`'
    return None


class JujuTarget:
    """The suite through a `juju` CLI: every scenario in a model of its own."""

    name = 'juju'
    sides = frozenset({scenario_.Side.CONTROLLER, scenario_.Side.CHARM})

    def __init__(self, env: Mapping[str, str] | None = None, model_prefix: str = '') -> None:
        self.juju = Juju(dict(os.environ if env is None else env))
        if shutil.which('juju', path=self.juju.env.get('PATH')) is None:
            raise JujuCommandError(
                'no `juju` on PATH: run it inside `actionspec box -- ...`, or install Juju '
                'and bootstrap a controller'
            )
        version = client_version(self.juju)
        if version not in versions.PROFILES or version == '2.9':
            raise JujuCommandError(f'juju {version}: the target speaks the CLI of Juju 3 and 4')
        self.juju_versions = frozenset({version})
        self.model_prefix = ''
        self.name_models(model_prefix or f'actionspec-{secrets.token_hex(3)}')
        self._models = 0  # added by this process
        self._kit: pathlib.Path | None = None
        self._kept: _Kept | None = None
        self._keeping = False

    # -- models ------------------------------------------------------------------------

    def name_models(self, prefix: str) -> None:
        """Name the models this run adds `<prefix>-<pid>-<n>`; ValueError for a prefix
        Juju would refuse."""
        if not MODEL_NAME.match(prefix):
            raise ValueError(
                f'--juju-model {prefix}: model names may only contain lowercase letters, '
                'digits and hyphens'
            )
        self.model_prefix = prefix

    def _new_model(self) -> str:
        """A fresh model's name: the run's prefix, this process, a count (the suite may run
        in several worker processes, each with its own copy of the target)."""
        self._models += 1
        return f'{self.model_prefix}-{os.getpid()}-{self._models}'

    def _add_model(self) -> str:
        name = self._new_model()
        config = [word for setting in MODEL_CONFIG for word in ('--config', setting)]
        self.juju('add-model', name, '--no-switch', *config)
        return name

    def _destroy(self, name: str) -> None:
        self.juju(
            'destroy-model',
            name,
            '--no-prompt',
            '--destroy-storage',
            '--force',
            '--no-wait',
            check=False,
        )

    def clean_up(self) -> list[str]:
        """Destroy every model this run added that is still there (a worker stopped
        mid-scenario leaves its model); the names destroyed."""
        try:
            listed = self.juju.json('models')
        except (JujuCommandError, json.JSONDecodeError):
            return []
        # `<prefix>-<pid>-<n>` exactly: a run named `a` leaves a run named `a-b` alone.
        ours = re.compile(rf'^{re.escape(self.model_prefix)}-\d+-\d+$')
        mine = [
            str(m['short-name'])
            for m in listed.get('models') or ()
            if ours.match(str(m.get('short-name', '')))
        ]
        for name in mine:
            self._destroy(name)
        return mine

    # -- the charm ---------------------------------------------------------------------

    def _packed_kit(self) -> pathlib.Path:
        """ops, its dependencies and the kit's modules as a charm's `venv/`, made once per
        process and linked into each charm."""
        if self._kit is None:
            self._kit = scratch.scratch_dir('actionspec-juju-kit-') / VENV
            packed_python(self._kit, ['ops'])
        return self._kit

    def _charm(
        self, parent: pathlib.Path, case: scenario_.Scenario, app: scenario_.AppSpec
    ) -> pathlib.Path:
        steps = _action_steps(case, app.name)
        meta = _meta(case, app)
        source = contract.scripted_charm_dir(parent / 'src', meta, steps, portable=True)
        shutil.copytree(self._packed_kit(), source / VENV, copy_function=_link_or_copy)
        return pack.pack(source, parent / 'charms' / app.name, stored=True)

    # -- a scenario --------------------------------------------------------------------

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        reason = _cannot_observe(case)
        if reason:
            raise target.CannotObserve(f'cannot be run through a `juju` CLI: {reason}')
        work = scratch.scratch_dir('actionspec-juju-')
        kept, self._kept = self._kept, None
        if kept is not None and not (kept.deployed == _deployment(case) and _unmarked(case)):
            self._destroy(kept.model)
            kept = None
        model = kept.model if kept is not None else self._add_model()
        left = False
        try:
            juju = self.juju.in_model(model)
            given = kept.steps if kept is not None else None
            observed = _Scenario(juju, case, juju_version, work).observe(self._charm, given)
            left = _unmarked(case)
            return observed
        finally:
            if left:
                self._keep(_Kept(model, _deployment(case), _all_steps(case)))
            else:
                self._destroy(model)
            shutil.rmtree(work, ignore_errors=True)

    def _keep(self, kept: _Kept) -> None:
        """Leave a model deployed for the next scenario, destroyed at exit if none takes it."""
        if not self._keeping:
            atexit.register(self._drop_kept)
            self._keeping = True
        self._kept = kept

    def _drop_kept(self) -> None:
        if self._kept is not None:
            self._destroy(self._kept.model)
            self._kept = None

    def __repr__(self) -> str:
        return f'JujuTarget(model_prefix={self.model_prefix!r})'


# -- packing Python for a unit ---------------------------------------------------------


def packed_python(dest: pathlib.Path, requirements: Sequence[str]) -> None:
    """Copy the installed distributions `requirements` name, with what they require, and
    the kit's own modules into `dest`, as charmcraft puts a charm's packages in `venv/`.
    Pure-Python packages run on the unit's Python whatever its minor version; PyYAML's
    compiled part, if it does not load there, leaves PyYAML's pure-Python one."""
    dest.mkdir(parents=True)
    for dist in _with_requirements(requirements):
        for file in dist.files or ():
            if file.parts[0] in ('..', '__pycache__') or file.suffix == '.pyc':
                continue
            source = pathlib.Path(str(dist.locate_file(file)))
            if source.is_file():
                (dest / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / file)
    kit = pathlib.Path(__file__).resolve().parents[1]
    for module in kit.rglob('*.py'):
        packed = dest / 'actionspec' / module.relative_to(kit)
        packed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(module, packed)
    (dest / 'actionspec' / '__init__.py').write_text(PACKED_KIT_INIT, encoding='utf-8')


def _link_or_copy(source: str, dest: str) -> None:
    """A hard link where the two are on one file system (packing reads files, not links)."""
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def _with_requirements(names: Sequence[str]) -> list[importlib.metadata.Distribution]:
    """The distributions `names` call for, and theirs, once each. Requirements under an
    extra or an environment marker are left out: the charm side needs none of them."""
    found: dict[str, importlib.metadata.Distribution] = {}
    wanted = list(names)
    while wanted:
        dist = importlib.metadata.distribution(wanted.pop())
        key = dist.metadata['Name'].lower().replace('_', '-')
        if key in found:
            continue
        found[key] = dist
        for requirement in dist.requires or ():
            if ';' not in requirement:
                wanted.append(re.split(r'[\s<>=!~\[(]', requirement, maxsplit=1)[0])
    return list(found.values())


# -- one scenario through the CLI ------------------------------------------------------


def _action_steps(case: scenario_.Scenario, app: str) -> dict[str, list[dict[str, object]]]:
    """The steps a charm is deployed with: its actions' only. The hooks of deploying it
    (install, start, relation-joined...) come before the scenario begins, and must leave
    its units as the scenario's model describes them; the rest come once it is set up."""
    return {
        event: steps
        for event, steps in contract.steps_of(case, app).items()
        if charmmeta.is_action_event(event)
    }


def _meta(case: scenario_.Scenario, app: scenario_.AppSpec) -> charmmeta.CharmMeta:
    """The application's metadata as Juju needs it to integrate: in each relation the
    first application provides and the second requires, one interface on both ends (a
    scenario's model names endpoints only)."""
    meta = app.meta()
    provides: list[str] = []
    interfaces: dict[str, str] = {}
    for first, second in case.relations:
        first_app, _, first_endpoint = first.partition(':')
        for end in (first, second):
            end_app, _, endpoint = end.partition(':')
            if end_app == app.name:
                interfaces[endpoint] = first_endpoint
                if end == first and first_app != second.partition(':')[0]:
                    provides.append(endpoint)
    return dataclasses.replace(
        meta,
        requires=tuple(e for e in meta.requires if e not in provides),
        provides=(*meta.provides, *provides),
        interfaces={**meta.interfaces, **interfaces},
    )


@dataclasses.dataclass(frozen=True)
class _Kept:
    """A model left deployed after a scenario, for the next one with the same deployment."""

    model: str
    deployed: object  # what `_deployment` gave
    steps: Mapping[str, Mapping[str, Any]]  # per application, the steps its charm has


def _deployment(case: scenario_.Scenario) -> object:
    """What decides a scenario's deployment: its applications (names, units, metadata,
    actions) and relations. Two scenarios with the same one can share a model."""
    return (case.apps, case.relations)


def _all_steps(case: scenario_.Scenario) -> dict[str, dict[str, list[dict[str, object]]]]:
    return {app.name: contract.steps_of(case, app.name) for app in case.apps}


# Steps that leave a mark on a model beyond their own task (relation data, a deferred
# event), or note something a reused model changes (`record` notes ids and environment).
_MARKING_STEPS = frozenset({'relation-set', 'defer', 'record', 'hold'})


def _unmarked(case: scenario_.Scenario) -> bool:
    """Whether the scenario can run in a model an earlier one used, and leave it fit for
    the next: its charms act in actions only and leave nothing behind, and it expects
    nothing that a model's history changes (task ids, which `juju run`'s and the other
    commands' output shows; relation data)."""
    if case.deferred or case.steps:
        return False
    expect = case.expect
    if expect.juju_run is not None or expect.relation_data is not None:
        return False
    if any(
        not charmmeta.is_action_event(event)
        for events in case.behaviour.values()
        for event in events
    ):
        return False
    return not any(step.kind in _MARKING_STEPS for step in case.every_step())


# What `juju run` says of an operation that scheduled no task, and how it names the
# operation it made, waiting or not (cmd/juju/action/run.go, common.go).
NOTHING_SCHEDULED = 'failed to schedule any tasks:'
_OPERATION = re.compile(r'(?:Running|Scheduled) operation (\d+) |^Operation (\d+) failed', re.M)
# A log line in show-task's output: Go's time.String(), then the message.
_LOG_LINE = re.compile(
    r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4} \S+ ?(.*)$', re.DOTALL
)


def _no_unit_in_error(status: Mapping[str, Any]) -> None:
    for app in (status.get('applications') or {}).values():
        for unit, info in (app.get('units') or {}).items():
            workload = info.get('workload-status') or {}
            if workload.get('current') == 'error':
                message = workload.get('message', '')
                raise JujuCommandError(f'{unit} failed while it was being set up: {message}')


def _log_message(entry: str) -> str:
    found = _LOG_LINE.match(entry)
    return found[1] if found else entry


@dataclasses.dataclass
class _Run:
    """One `juju run` as the administrator saw it, and the operation it made, if any."""

    output: target.CommandOutput
    operation: str | None
    error: str | None


class _Scenario:
    """One scenario carried out in a model of its own."""

    def __init__(
        self, juju: Juju, case: scenario_.Scenario, version: str, work: pathlib.Path
    ) -> None:
        self.juju = juju
        self.case = case
        self.version = version
        self.work = work
        self.units = [f'{app.name}/{n}' for app in case.apps for n in range(app.units)]
        self.look_interval = LOOK_INTERVAL

    def observe(
        self, charm: Any, given: Mapping[str, Mapping[str, Any]] | None = None
    ) -> target.Observation:
        """Deploy the scenario (or, with the steps its charms were `given`, take it as
        deployed already), run it and observe it all."""
        case = self.case
        if given is None:
            for app in case.apps:
                packed = str(charm(self.work, case, app))
                self.juju('deploy', packed, app.name, '-n', str(app.units))
            for first, second in case.relations:
                self.juju('integrate', first, second)
            given = {app.name: _action_steps(case, app.name) for app in case.apps}
        self._quiet(setting_up=True)
        if case.deferred:
            self._seed_deferred()
        self._give_steps(given)
        self._quiet(setting_up=True)
        since = time.time()
        if case.steps:
            observed = self._steps()
        else:
            fmt = case.expect.juju_run.format if case.expect.juju_run else 'plain'
            run = self._run(case.run, fmt)
            observed = self._observe_run(run)
        self._quiet()
        self._read_notes(observed, since)
        if case.expect.relation_data is not None:
            observed.relation_data = self._relation_data()
        return observed

    # -- setting up ----------------------------------------------------------------------

    def _quiet(self, *, setting_up: bool = False) -> None:
        """Wait until every unit is there and its agent idle, look after look. While
        `setting_up`, a unit in error (a hook of deploying it failed) fails the scenario:
        the model is not the one the scenario describes."""
        deadline = time.monotonic() + QUIET_TIMEOUT
        looks = 0
        while looks < QUIET_LOOKS:
            status = self.juju.json('status')
            if status.get('model', {}).get('cloud') == BOX_CLOUD:
                self.look_interval = BOX_LOOK_INTERVAL
            agents = {
                unit: info.get('juju-status', {}).get('current')
                for app in (status.get('applications') or {}).values()
                for unit, info in (app.get('units') or {}).items()
            }
            if setting_up:
                _no_unit_in_error(status)
            quiet = all(agents.get(unit) == 'idle' for unit in self.units)
            looks = looks + 1 if quiet else 0
            if time.monotonic() > deadline:
                busy = sorted(u for u in self.units if agents.get(u) != 'idle')
                raise JujuCommandError(f'units still busy after {QUIET_TIMEOUT:g} s: {busy}')
            if looks < QUIET_LOOKS:
                time.sleep(self.look_interval)

    def _seed_deferred(self) -> None:
        """Put each unit's deferred events in its store, oldest first: dispatch each
        event's hook through `juju exec`, with the charm told to defer them all."""
        for unit, events in self.case.deferred.items():
            seeds = ','.join(events)
            for event in events:
                hook = event.replace('_', '-')
                command = (
                    f'cd "$JUJU_CHARM_DIR" && {contract.SEED_DEFERRED}={seeds} '
                    f'JUJU_DISPATCH_PATH=hooks/{hook} ./dispatch'
                )
                self.juju('exec', '--unit', unit, '--', command)

    def _give_steps(self, given: Mapping[str, Mapping[str, Any]]) -> None:
        """Give each charm the scenario's steps where they are not those it has: its hooks'
        once the model is set up (a scenario whose charms act only in actions needs no
        `juju exec`, which would take task ids), or another scenario's in a kept model."""
        for app in self.case.apps:
            steps = contract.steps_of(self.case, app.name)
            if steps == given.get(app.name):
                continue
            data = base64.b64encode(json.dumps(steps).encode()).decode()
            command = (
                f'echo {data} | base64 -d > "$JUJU_CHARM_DIR/{contract.STEPS_FILE}.new" && '
                f'mv "$JUJU_CHARM_DIR/{contract.STEPS_FILE}.new" '
                f'"$JUJU_CHARM_DIR/{contract.STEPS_FILE}"'
            )
            self.juju('exec', '--application', app.name, '--', command)

    # -- running -------------------------------------------------------------------------

    def _run(self, run: scenario_.Invocation, fmt: str) -> _Run:
        words = ['run', *run.targets, run.action]
        if run.params:
            # JSON, which YAML reads as it is: Juju's YAML would take a bare `n` or `y`
            # key for a boolean.
            params = self.work / f'params-{len(list(self.work.glob("params-*")))}.yaml'
            params.write_text(json.dumps(dict(run.params)), encoding='utf-8')
            words += ['--params', str(params)]
        if run.background:
            words.append('--background')
        if run.wait is not None:
            words.append(f'--wait={run.wait:g}s')
        if fmt != 'plain':
            words += ['--format', fmt]
        shown = self.juju(*words, check=False)
        made = _OPERATION.search(shown.stderr)
        operation = made[1] or made[2] if made else None
        # A run Juju refuses schedules no task: it says why on stderr, after the words
        # below (the operation is still recorded), or as an ERROR line (none is).
        _, refused, why = shown.stderr.partition(NOTHING_SCHEDULED)
        if refused:
            return _Run(shown, operation, why.strip())
        if operation is None:
            errors = [line for line in shown.stderr.splitlines() if line.startswith('ERROR ')]
            return _Run(shown, None, errors[-1].removeprefix('ERROR ') if errors else '')
        return _Run(shown, operation, None)

    def _observe_run(self, run: _Run) -> target.Observation:
        observed = target.Observation(error=run.error, juju_run=run.output)
        if run.operation is None:
            return observed
        shown = self.juju.json('show-operation', run.operation)
        deadline = time.monotonic() + QUIET_TIMEOUT
        while shown.get('status') in UNFINISHED and time.monotonic() < deadline:
            time.sleep(self.look_interval)  # run in the background: wait for its end
            shown = self.juju.json('show-operation', run.operation)
        observed.operation_status = shown.get('status')
        tasks = shown.get('tasks') or {}
        observed.operation_units = [task.get('host', '') for task in tasks.values()]
        for task_id in tasks:
            observed.tasks.update(self._task(task_id))
        return observed

    def _task(self, task_id: str) -> dict[str, target.TaskObservation]:
        shown = self.juju.json('show-task', task_id)
        profile = versions.PROFILES[self.version]
        results = dict(shown.get('results') or {})
        code = results.get(profile.return_code_key)
        return {
            shown.get('unit', ''): target.TaskObservation(
                status=str(shown.get('status', '')),
                message=str(shown.get('message', '')),
                results={k: v for k, v in results.items() if k not in profile.captured_keys},
                logs=[_log_message(entry) for entry in shown.get('log') or ()],
                stdout=str(results.get(profile.stdout_key, '')),
                stderr=str(results.get(profile.stderr_key, '')),
                return_code=None if code is None else int(code),
            )
        }

    def _steps(self) -> target.Observation:
        wanted = self.case.expect.runs or ()
        runs: list[_Run] = []
        said: list[target.CommandOutput] = []
        for step in self.case.steps:
            if step.kind == 'run':
                expected = wanted[len(runs)].juju_run if len(runs) < len(wanted) else None
                runs.append(self._run(step.arg, expected.format if expected else 'plain'))
            elif step.kind == 'juju':
                said.append(self.juju(*step.arg, check=False))
        self._quiet()
        return target.Observation(commands=said, runs=[self._observe_run(r) for r in runs])

    # -- reading back --------------------------------------------------------------------

    def _read_notes(self, observed: target.Observation, since: float) -> None:
        """Each unit's events, refusals and recorded values since the run began, and its
        deferred-event store as last committed, from the notes its charm kept."""
        command = f'cat "$JUJU_CHARM_DIR/{contract.NOTES_FILE}" 2>/dev/null; true'
        shown = self.juju.json('exec', '--unit', ','.join(self.units), '--', command)
        observed.trace = {unit: [] for unit in self.units}
        observed.deferred = {unit: [] for unit in self.units}
        for unit in self.units:
            results = shown.get(unit, {}).get('results') or {}
            for line in str(results.get('stdout', '')).splitlines():
                note = json.loads(line)
                if unit in note.get('deferred', {}):
                    observed.deferred[unit] = note['deferred'][unit]
                if note.get('time', 0) < since:
                    continue
                observed.trace[unit].extend(note['trace'].get(unit, ()))
                for kind in note['refusals'].get(unit, ()):
                    observed.refusals.setdefault(unit, []).append(kind)
                for value in note['recorded'].get(unit, ()):
                    observed.recorded.setdefault(unit, []).append(value)

    def _relation_data(self) -> dict[str, dict[str, dict[str, str]]]:
        """Per relation end, every bag that holds data, as the units on the other side
        see them in `show-unit` (Juju's own address keys left out)."""
        ends: dict[frozenset[str], dict[str, dict[str, str]]] = {}
        for unit in self.units:
            shown = self.juju.json('show-unit', unit).get(unit, {})
            app = unit.split('/')[0]
            for info in shown.get('relation-info') or ():
                local = f'{app}:{info["endpoint"]}'
                remote_units = info.get('related-units') or {}
                remote_app = next(iter(remote_units), app).split('/')[0]
                remote = f'{remote_app}:{info.get("related-endpoint", "")}'
                bags = ends.setdefault(frozenset({local, remote}), {})
                if info.get('application-data'):
                    bags[remote_app] = dict(info['application-data'])
                for other, seen in remote_units.items():
                    data = {
                        k: v
                        for k, v in (seen.get('data') or {}).items()
                        if k not in JUJU_RELATION_KEYS
                    }
                    if data:
                        bags[other] = data
        return {end: bags for pair, bags in ends.items() for end in pair}
