"""The release history: the suite run across releases of each implementation, and from
which release each one passes each scenario.

`as_data` makes the history file (`actionspec matrix --history --json`, committed as
docs/assets/release-history.json) from one run over many release targets; `markdown`
makes its page. Notes (docs/assets/release-changes.yaml) say which upstream change made
a scenario's outcome change at a release, with the changelog entry or pull request; the
page shows each note at the change it explains, and `check_notes` refuses a note that
explains no change the history shows, so a note cannot be a guess.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import yamldata
from ..suite import runner
from ..targets import releases as releases_
from . import markdown as markdown_

Outcome = runner.Outcome
# What a release did with a scenario: an expected failure failed all the same, and an
# unexpected pass passed.
PASSED, FAILED, SKIPPED, ERRORED = 'passed', 'failed', 'skipped', 'errored'
# In the file, a scenario's outcomes on an implementation's releases are one letter per
# release, oldest first: each scenario's history reads on one line, and a diff of the file
# shows what changed.
CODES = {PASSED: 'p', FAILED: 'f', SKIPPED: 's', ERRORED: 'e'}
_OUTCOME = {code: outcome for outcome, code in CODES.items()}
_SEEN = {
    Outcome.PASSED: PASSED,
    Outcome.XPASSED: PASSED,
    Outcome.FAILED: FAILED,
    Outcome.XFAILED: FAILED,
    Outcome.SKIPPED: SKIPPED,
    Outcome.ERRORED: ERRORED,
}
_ALWAYS = {
    PASSED: 'passes in every release',
    FAILED: 'fails in every release',
    SKIPPED: 'cannot observe',
    ERRORED: 'errors in every release',
}
_TITLES = {
    'ops': 'the real ops runtime',
    'ops-harness': "ops.testing's Harness",
    'ops-scenario': 'Scenario (ops-scenario)',
}


@dataclasses.dataclass(frozen=True)
class Tested:
    """One release in a history run."""

    implementation: str
    """`ops`, `ops-harness` or `ops-scenario`."""
    target: str
    """The target that ran it: `ops@2.23`."""
    version: str
    """The release installed: `2.23.6`."""
    companions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Other implementations' releases it ran with: Scenario's ops."""


def as_data(
    results: Sequence[runner.Result],
    tested: Sequence[Tested],
    juju_version: str,
    oldest: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The history file: per implementation its releases, oldest first (and, from
    `oldest`, which releases cannot run and why); per scenario, per implementation, what each of
    those releases did with it, and why the newest did not pass where its target said."""
    implementations: dict[str, list[Tested]] = {}
    for release in tested:
        implementations.setdefault(release.implementation, []).append(release)
    for listed in implementations.values():
        listed.sort(key=lambda r: releases_.numbers(r.version))
    cells: dict[str, dict[str, runner.Result]] = {}
    for result in results:
        cells.setdefault(result.id, {})[result.target] = result
    scenarios = []
    for case_id, by_target in cells.items():
        case = next(iter(by_target.values())).case
        coded, reasons = {}, {}
        for name, releases in implementations.items():
            ran = [by_target.get(r.target) for r in releases]
            coded[name] = ''.join(CODES[_SEEN[r.outcome] if r else SKIPPED] for r in ran)
            newest = ran[-1]
            if newest is not None and _SEEN[newest.outcome] != PASSED and newest.reason:
                reasons[name] = newest.reason
        scenarios.append(
            {'id': case_id, 'title': case.title, 'outcomes': coded, 'reasons': reasons}
        )
    return {
        'juju_version': juju_version,
        'codes': CODES,
        'implementations': [
            {
                'name': name,
                **({'oldest': oldest[name]} if oldest and name in oldest else {}),
                'releases': [
                    {
                        'target': r.target,
                        'version': r.version,
                        **({'with': dict(r.companions)} if r.companions else {}),
                    }
                    for r in releases
                ],
            }
            for name, releases in implementations.items()
        ],
        'scenarios': scenarios,
    }


# -- changes between releases --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Change:
    """A scenario whose outcome differs from the release before."""

    implementation: str
    target: str
    version: str
    scenario: str
    before: str
    after: str


def outcomes(scenario: Mapping[str, Any], implementation: str) -> list[str]:
    """What each release of `implementation` did with `scenario`, oldest first."""
    return [_OUTCOME[code] for code in scenario['outcomes'][implementation]]


def changes(data: Mapping[str, Any]) -> list[Change]:
    """Every change of outcome from one release to the next, in release order."""
    found = []
    for implementation in data['implementations']:
        name, releases = implementation['name'], implementation['releases']
        for index in range(1, len(releases)):
            for scenario in data['scenarios']:
                seen = outcomes(scenario, name)
                if seen[index] != seen[index - 1]:
                    release = releases[index]
                    found.append(
                        Change(
                            name,
                            release['target'],
                            release['version'],
                            scenario['id'],
                            seen[index - 1],
                            seen[index],
                        )
                    )
    return found


# -- notes: why an outcome changed ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Note:
    """Why scenarios changed outcome at a release, from the implementation's own sources."""

    implementation: str
    release: str
    """The target of the first release in the history that shows the change: `ops@2.5`."""
    scenarios: tuple[str, ...]
    change: str
    """What changed upstream, in a sentence."""
    source: str
    """Where it is written: a changelog entry, a pull request, an upgrade guide."""
    link: str


_NOTE_FIELDS = ('implementation', 'release', 'scenarios', 'change', 'source', 'link')


def load_notes(text: str, shown: str) -> list[Note]:
    """The notes in a YAML list, read strictly; a bad entry is a DataError naming it."""
    data, lines = yamldata.read(text, shown)
    if not isinstance(data, list):
        raise yamldata.DataError(shown, 1, '', 'the notes are a YAML list')
    notes = []
    for n, entry in enumerate(data):
        at = f'[{n}]'
        if not isinstance(entry, Mapping) or set(entry) != set(_NOTE_FIELDS):
            raise yamldata.DataError(
                shown, lines.get(at, 1), at, f'each note has exactly: {", ".join(_NOTE_FIELDS)}'
            )
        scenarios = entry['scenarios']
        if not isinstance(scenarios, list) or not all(isinstance(s, str) for s in scenarios):
            raise yamldata.DataError(
                shown, lines.get(f'{at}.scenarios', 1), f'{at}.scenarios', 'a list of ids'
            )
        for field in set(_NOTE_FIELDS) - {'scenarios'}:
            if not isinstance(entry[field], str):
                raise yamldata.DataError(
                    shown, lines.get(f'{at}.{field}', 1), f'{at}.{field}', 'text'
                )
        if not entry['link'].startswith('https://'):
            raise yamldata.DataError(
                shown, lines.get(f'{at}.link', 1), f'{at}.link', 'an https:// address'
            )
        notes.append(Note(**{**entry, 'scenarios': tuple(scenarios)}))
    return notes


def check_notes(data: Mapping[str, Any], notes: Sequence[Note]) -> list[str]:
    """What is wrong with `notes` against the history: a note must name releases the
    history ran and scenarios whose outcome changed exactly there."""
    changed = {(c.target, c.scenario) for c in changes(data)}
    targets = {r['target']: i['name'] for i in data['implementations'] for r in i['releases']}
    problems = []
    for note in notes:
        if targets.get(note.release) != note.implementation:
            problems.append(
                f'{note.release}: not a release of {note.implementation} in the history'
            )
            continue
        problems += [
            f'{note.release}: {case_id} did not change outcome there'
            for case_id in note.scenarios
            if (note.release, case_id) not in changed
        ]
    return problems


# -- the page -------------------------------------------------------------------------------


def anchor(implementation: str, version: str) -> str:
    return f'{implementation}-{version}'.replace('.', '-')


def _shown(release: Mapping[str, Any]) -> str:
    """A release as the page names it: `2.23.6`, with Scenario's ops beside it."""
    companions = ', '.join(f'{k} {v}' for k, v in release.get('with', {}).items())
    return f'{release["version"]} ({companions})' if companions else release['version']


def _runs(seen: Sequence[str], versions: Sequence[str]) -> list[tuple[str, str, str]]:
    """(outcome, first version, last version) for each run of equal outcomes."""
    runs: list[tuple[str, str, str]] = []
    for outcome, version in zip(seen, versions, strict=True):
        if runs and runs[-1][0] == outcome:
            runs[-1] = (outcome, runs[-1][1], version)
        else:
            runs.append((outcome, version, version))
    return runs


def summary(seen: Sequence[str], versions: Sequence[str], link: Callable[[str], str] = str) -> str:
    """From which release a scenario passes: `passes from 2.5.1`, `fails from 2.20.0`,
    or each run of releases; `link` turns the version where it changes into a link."""
    runs = _runs(seen, versions)
    if len(runs) == 1:
        return _ALWAYS[runs[0][0]]
    if len(runs) == 2 and PASSED in (runs[0][0], runs[1][0]):
        word = 'passes' if runs[1][0] == PASSED else f'{_verb(runs[1][0])}'
        return f'{word} from {link(runs[1][1])}'
    parts = []
    for index, (outcome, first, last) in enumerate(runs):
        start = link(first) if index else first  # a run after the first starts with a change
        parts.append(f'{_verb(outcome)} {start}' + ('' if first == last else f' to {last}'))
    return '; '.join(parts)


def _verb(outcome: str) -> str:
    return {PASSED: 'passes', FAILED: 'fails', SKIPPED: 'cannot observe', ERRORED: 'errors'}[
        outcome
    ]


def markdown(
    data: Mapping[str, Any],
    notes: Sequence[Note] = (),
    *,
    scenario_link: Callable[[str], str] | None = None,
) -> str:
    """The history page: the releases, what changed at each (with its note), and per
    scenario from which release each implementation passes."""
    implementations = data['implementations']
    by_note = {(n.release, c): n for n in notes for c in n.scenarios}

    def label(case_id: str) -> str:
        return f'[`{case_id}`]({scenario_link(case_id)})' if scenario_link else f'`{case_id}`'

    count = sum(len(i['releases']) for i in implementations)
    lines = [
        f'# Release history (Juju {data["juju_version"]})',
        '',
        f'The conformance suite against {count} releases: '
        + ', '.join(
            f'{len(i["releases"])} of {_TITLES.get(i["name"], i["name"])} '
            f'({i["releases"][0]["version"]} to {i["releases"][-1]["version"]})'
            for i in implementations
        )
        + '. Each release runs in a virtual environment of its own, through the same '
        'target code as the installed one, so a pass means the same in every release.',
        '',
        '## Releases',
        '',
    ]
    for implementation in implementations:
        name, releases = implementation['name'], implementation['releases']
        if 'oldest' in implementation:
            lines += [f'{markdown_.cell(name)}: {markdown_.cell(implementation["oldest"])}.', '']
        lines += [
            f'??? note "{markdown_.cell(name)}: {len(releases)} releases"',
            '',
            '    | target | release | passes | fails | cannot observe | errors |',
            '    |---|---|---|---|---|---|',
        ]
        for index, release in enumerate(releases):
            seen = [outcomes(s, name)[index] for s in data['scenarios']]
            lines.append(
                f'    | `{release["target"]}` | {markdown_.cell(_shown(release))} | '
                + ' | '.join(str(seen.count(o)) for o in (PASSED, FAILED, SKIPPED, ERRORED))
                + ' |'
            )
        lines.append('')
    lines += _changes_section(data, by_note, label)
    lines += _scenario_table(data, label)
    return '\n'.join(lines) + '\n'


def _changes_section(
    data: Mapping[str, Any],
    by_note: Mapping[tuple[str, str], Note],
    label: Callable[[str], str],
) -> list[str]:
    lines = [
        '## What changed, release by release',
        '',
        'Each release at which a scenario passes or fails where the release before did '
        'not, with the upstream change that explains it where its changelog, pull request '
        'or upgrade guide says so.',
        '',
    ]
    grouped: dict[tuple[str, str, str], list[Change]] = {}
    for change in changes(data):
        grouped.setdefault((change.implementation, change.target, change.version), []).append(
            change
        )
    for implementation in data['implementations']:
        name, releases = implementation['name'], implementation['releases']
        if len(releases) > 1 and not any(key[0] == name for key in grouped):
            lines += [
                f'{markdown_.cell(name)}: no scenario changed outcome from '
                f'{releases[0]["version"]} to {releases[-1]["version"]}.',
                '',
            ]
    for (implementation, release, version), found in grouped.items():
        lines += [f'### {implementation} {version} {{#{anchor(implementation, version)}}}', '']
        for change in found:
            lines.append(
                f'- {label(change.scenario)}: {_verb(change.before)} before, '
                f'{_verb(change.after)} from `{release}`'
            )
        lines.append('')
        explained = list(
            dict.fromkeys(
                by_note[release, c.scenario] for c in found if (release, c.scenario) in by_note
            )
        )
        for note in explained:
            lines += [
                f'Why: {markdown_.cell(note.change)} ([{markdown_.cell(note.source)}]'
                f'({note.link}))',
                '',
            ]
        if not explained:
            lines += ['Why: no changelog entry or issue found for this change.', '']
    return lines


def _scenario_table(data: Mapping[str, Any], label: Callable[[str], str]) -> list[str]:
    implementations = data['implementations']
    names = [i['name'] for i in implementations]
    lines = [
        '## By scenario',
        '',
        'From which release each implementation passes each scenario (its oldest release '
        'in the history first).',
        '',
        '| scenario | ' + ' | '.join(markdown_.cell(n) for n in names) + ' |',
        '|---' * (len(names) + 1) + '|',
    ]
    for scenario in data['scenarios']:
        row = []
        for implementation in implementations:
            name = implementation['name']
            versions = [r['version'] for r in implementation['releases']]

            def link(version: str, name: str = name) -> str:
                return f'[{version}](#{anchor(name, version)})'

            shown = summary(outcomes(scenario, name), versions, link)
            reason = scenario['reasons'].get(name)
            if reason:  # why the newest release did not pass, on hover
                title = html.escape(reason, quote=True).replace('|', '&#124;')
                shown = f'<span title="{title}">{shown}</span>'
            row.append(shown)
        lines.append(f'| {label(scenario["id"])} | ' + ' | '.join(row) + ' |')
    return [*lines, '']
