"""Pages made from the suite itself: the scenario catalogue, the matrix, the CLI reference.

Hand-written pages cite scenarios as `[[area/name]]`; `expand_claims` turns each into a
link to the scenario's catalogue entry followed by one badge per implementation saying
whether it passes. A citation of a scenario that does not exist stops the build.

A line holding only `{{rule J7}}` becomes the rule's statement from
conformance/rules.yaml, anchored as `rule-j7` and linked to the rule's row in the
catalogue (its sources and the scenarios that check it), so pages never restate a rule
by hand. A rule that rules.yaml does not state stops the build too.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import pathlib
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..reports import badges as badges_
from ..reports import history, markdown, terminal
from ..reports import matrix as matrix_
from ..suite import loader, rules, scenario
from . import plots

CATALOGUE = 'catalogue'
BADGES = 'badges'  # each target's badge, as SVG and shields.io endpoint JSON
CLAIM = re.compile(r'\[\[([a-z0-9][a-z0-9/-]*)\]\]')
RULE = re.compile(r'\{\{rule ([^{}]*)\}\}')
AREA_TITLES = {
    'emission-order': 'Emission order',
    'name-mangling': 'Name mangling',
    'fan-out': 'Fan-out to units',
    'stdout-reservation': 'Stdout reservation',
    'fail-semantics': 'Fail semantics',
    'results': 'Results',
    'params': 'Params',
    'logs': 'Logs',
    'relation-changes': 'Relation changes',
    'deferral': 'Deferral',
    'environment': 'Environment',
    'juju-run': '`juju run` output',
    'lifecycle': 'Operation lifecycle',
    'juju-commands': 'Juju action commands',
}
_MARK = {
    'passed': 'passes',
    'failed': 'fails',
    'xfailed': 'differs (known)',
    'xpassed': 'passes, listed as failing',
    'skipped': 'cannot observe',
    'errored': 'errored',
}


class UnknownScenarioError(LookupError):
    """A page cites a scenario the suite does not have."""


class UnknownRuleError(LookupError):
    """A page names a rule that conformance/rules.yaml does not state, or misplaces one."""


def load_suite() -> list[scenario.Scenario]:
    cases, problems = loader.load([loader.bundled_suite()])
    if problems:
        raise problems[0]
    return cases


def area_of(case_id: str) -> tuple[str, str]:
    area, _, name = case_id.rpartition('/')
    return area, name


def scenario_uri(case_id: str) -> str:
    area, name = area_of(case_id)
    return f'{CATALOGUE}/{area}.md#{name}'


def relative(target: str, page: str) -> str:
    """A link from the page at `page` (a docs-relative path) to `target`."""
    path, _, fragment = target.partition('#')
    link = posixpath.relpath(path, posixpath.dirname(page) or '.')
    return f'{link}#{fragment}' if fragment else link


def badges(results: Mapping[str, Mapping[str, Any]]) -> str:
    """One badge per implementation: its name, coloured by its outcome, explained on hover."""
    spans = []
    for target, result in results.items():
        outcome = result['outcome']
        reason = f': {result["reason"]}' if result.get('reason') else ''
        title = html.escape(f'{target} {_MARK[outcome]}{reason}', quote=True)
        spans.append(
            f'<span class="as-badge as-{outcome}" title="{title}">{html.escape(target)}</span>'
        )
    return '<span class="as-badges">' + ''.join(spans) + '</span>'


def expand_claims(markdown: str, page: str, matrix: Mapping[str, Any]) -> str:
    """Replace each `[[id]]` with a link to the scenario and its implementations' badges."""
    by_id = {s['id']: s for s in matrix['scenarios']}

    def link(match: re.Match[str]) -> str:
        case_id = match.group(1)
        found = by_id.get(case_id)
        if found is None:
            raise UnknownScenarioError(f'{page}: [[{case_id}]] names no scenario in the suite')
        return f'[`{case_id}`]({relative(scenario_uri(case_id), page)}) {badges(found["results"])}'

    return CLAIM.sub(link, markdown)


def _by_area(cases: Sequence[scenario.Scenario]) -> dict[str, list[scenario.Scenario]]:
    areas: dict[str, list[scenario.Scenario]] = {}
    for case in cases:
        areas.setdefault(area_of(case.id)[0], []).append(case)
    return dict(sorted(areas.items(), key=lambda kv: list(AREA_TITLES).index(kv[0])))


def catalogue(cases: Sequence[scenario.Scenario], matrix: Mapping[str, Any]) -> dict[str, str]:
    """The catalogue: an index page and one page per area, every scenario with its file."""
    by_id = {s['id']: s for s in matrix['scenarios']}
    areas = _by_area(cases)
    index = [
        '# Scenario catalogue',
        '',
        f'The conformance suite has {len(cases)} scenarios in {len(areas)} areas. Each one is '
        'a YAML file under `conformance/`: the model to deploy, what the charm does, the '
        '`juju run` to perform and what must be observed. The badges show which '
        f'implementations pass it under Juju {matrix["juju_version"]}; hover over one for '
        'the reason.',
        '',
        '| area | scenarios | rules |',
        '|---|---|---|',
    ]
    pages: dict[str, str] = {}
    for area, members in areas.items():
        named = sorted({r for c in members for r in c.rules}, key=_rule_order)
        index.append(
            f'| [{AREA_TITLES[area]}]({area}.md) | {len(members)} '
            f'| {rule_links(named, f"{CATALOGUE}/index.md")} |'
        )
        pages[f'{CATALOGUE}/{area}.md'] = _area_page(area, members, by_id)
    index += ['', *rule_table(rules.bundled(), cases)]
    pages[f'{CATALOGUE}/index.md'] = '\n'.join(index) + '\n'
    return pages


def _rule_order(rule: str) -> tuple[str, int]:
    return rule[0], int(rule[1:]) if rule[1:].isdigit() else 0


def rule_uri(rule_id: str) -> str:
    """Where a rule is stated with its sources and scenarios: its row in the catalogue."""
    return f'{CATALOGUE}/index.md#{rules.anchor(rule_id)}'


def rule_links(rule_ids: Sequence[str], page: str) -> str:
    """Rule ids as links to their rows in the catalogue, from the page at `page`."""
    return ', '.join(f'[{r}]({relative(rule_uri(r), page)})' for r in rule_ids)


def rule_table(known: Mapping[str, rules.Rule], cases: Sequence[scenario.Scenario]) -> list[str]:
    """The rules section of the catalogue index: each rule as rules.yaml states it, its
    sources, and the scenarios that check it (linked), so a rule's evidence is one click
    away."""
    page = f'{CATALOGUE}/index.md'
    lines = [
        '## Rules',
        '',
        'The rules of the model, as `conformance/rules.yaml` states them: C1-C9 for the '
        'charm framework, J1-J18 for Juju. Each scenario names the rules it checks.',
        '',
        '| rule | side | statement | sources | checked by |',
        '|---|---|---|---|---|',
    ]
    for rule in known.values():
        checking = [c.id for c in cases if rule.id in c.rules]
        links = ', '.join(f'[`{i}`]({relative(scenario_uri(i), page)})' for i in checking)
        sources = '<br>'.join(_source(s) for s in rule.sources)
        lines.append(
            f'| **{rule.id}**{{#{rule.anchor}}} | {rule.side} | {_cell(rule.statement)} '
            f'| {sources} | {len(checking)} scenario{"s" if len(checking) != 1 else ""}: {links} |'
        )
    return lines


def _cell(text: str) -> str:
    return text.replace('|', '\\|')


def expand_rules(markdown: str, page: str, known: Mapping[str, rules.Rule]) -> str:
    """Replace each line that is only `{{rule ID}}` with the rule's statement, as a
    paragraph anchored `rule-<id>` whose id links to the rule's row in the catalogue."""
    out = []
    for line in markdown.splitlines(keepends=True):
        found = RULE.search(line)
        if found is None:
            out.append(line)
            continue
        rule = known.get(found.group(1))
        if rule is None:
            raise UnknownRuleError(
                f'{page}: {found.group(0)} names no rule in conformance/{rules.FILE}'
            )
        if line.strip() != found.group(0):
            raise UnknownRuleError(f'{page}: {found.group(0)} must stand on a line of its own')
        out.append(
            f'\n**Rule [{rule.id}]({relative(rule_uri(rule.id), page)})** '
            f'({rule.side} side): {rule.statement}\n{{: #{rule.anchor} .as-rule }}\n\n'
        )
    return ''.join(out)


def _area_page(area: str, members: Sequence[scenario.Scenario], by_id: Mapping[str, Any]) -> str:
    lines = [f'# {AREA_TITLES[area]}', '']
    for case in members:
        name = area_of(case.id)[1]
        lines += [f'## {_escape(case.title)} {{#{name}}}', '']
        lines.append(
            f'`{case.id}` · {case.side} side · rules '
            + rule_links(case.rules, f'{CATALOGUE}/{area}.md')
            + (
                f' · Juju {", ".join(case.juju_versions)} only'
                if set(case.juju_versions) != set(scenario.ALL_VERSIONS)
                else ''
            )
        )
        lines.append('')
        found = by_id.get(case.id)
        if found:
            lines += [badges(found['results']), '']
        lines += ['Sources:', '']
        lines += [f'- {_source(c.source)}: {_escape(c.claim)}' for c in case.cites]
        lines += ['', '??? example "The scenario file"', '']
        text = pathlib.Path(case.path).read_text(encoding='utf-8')
        lines += [
            '    ' + line if line else '' for line in markdown.fenced(text, 'yaml').splitlines()
        ]
        lines.append('')
    return '\n'.join(lines) + '\n'


def _source(source: str) -> str:
    repository, _, path = source.partition(' ')
    return f'{repository} `{path}`' if path else source


def _escape(text: str) -> str:
    """Text for Markdown prose: no HTML, and emphasis characters taken literally."""
    return re.sub(r'([\\`*_\[\]<>])', r'\\\1', text)


def matrix_page(matrix: Mapping[str, Any]) -> str:
    intro = (
        'Every scenario on every implementation, run by `actionspec matrix`. *known* marks '
        "a difference the target's expected-failure list names, with its reason and "
        'upstream issue; *skip* means the implementation cannot observe what the scenario '
        'checks. Each difference links to what was expected and what was seen.\n'
    )
    body = matrix_.markdown_from_data(
        matrix, scenario_link=lambda case_id: relative(scenario_uri(case_id), 'matrix.md')
    )
    title, _, rest = body.partition('\n')
    return f'{title}\n\n{intro}\n{badge_images(matrix)}{rest}'


def target_badges(matrix: Mapping[str, Any]) -> dict[str, badges_.Badge]:
    """Each target's badge from the matrix, by file stem under `BADGES`."""
    return badges_.for_totals(matrix['totals'], matrix['juju_version'])


def badge_images(matrix: Mapping[str, Any]) -> str:
    """The targets' badges as images, and where to read how to use them."""
    images = ' '.join(
        f'![{markdown.cell(f"{b.label}: {b.message}")}]({BADGES}/{stem}.svg)'
        for stem, b in target_badges(matrix).items()
    )
    return (
        f'{images}\n\nEach badge is also a shields.io endpoint file beside it '
        f'(`{BADGES}/<target>.json`); [writing a target](writing-a-target.md#badges) says how '
        "to show one in a framework's README.\n"
    )


class HistoryNotesError(ValueError):
    """A note on the release history that explains no change the history shows."""


def history_page(data: Mapping[str, Any] | None, notes: Sequence[history.Note]) -> str:
    """The release history page, from `actionspec matrix --history` and the notes on why
    outcomes changed; a note the history does not bear out stops the build."""
    if data is None:
        return (
            '# Release history\n\nNot run yet: `make history` runs the suite across '
            'releases and writes `docs/assets/release-history.json`, from which this page '
            'is made.\n'
        )
    problems = history.check_notes(data, notes)
    if problems:
        raise HistoryNotesError(f'docs/assets/release-changes.yaml: {problems[0]}')
    intro = (
        'Made by `actionspec matrix --history` (`make history`), which runs every scenario '
        'on each release in a virtual environment of its own, built from PyPI on first use '
        'and kept in a cache after. Run one release yourself with `actionspec run --target '
        'ops@2.23` (or `ops-harness@2.23`, `ops-scenario@7`). A release of Harness or '
        "Scenario is judged by its implementation's [expected failures](matrix.md), but this "
        'page shows only whether each release passed: *cannot observe* means the '
        'implementation has no way to show what the scenario checks (as on the '
        '[matrix](matrix.md)).\n'
    )
    body = history.markdown(
        data, notes, scenario_link=lambda case_id: relative(scenario_uri(case_id), 'history.md')
    )
    title, _, rest = body.partition('\n')
    return f'{title}\n\n{intro}{rest}'


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    before = os.environ.get('COLUMNS')
    os.environ['COLUMNS'] = str(width)
    try:
        yield
    finally:
        if before is None:
            del os.environ['COLUMNS']
        else:
            os.environ['COLUMNS'] = before


def cli_page(parser: argparse.ArgumentParser) -> str:
    """The CLI reference: the help of the program and of each command, as argparse prints it."""
    lines = ['# Command line', '', "Generated from the program's own `--help`.", '']
    with _columns(88):
        lines += [markdown.fenced(parser.format_help())]
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            choices: Mapping[str, argparse.ArgumentParser] = getattr(action, 'choices', {}) or {}
            for name, sub in choices.items():
                lines += [f'## `actionspec {name}`', '', markdown.fenced(sub.format_help())]
    return '\n'.join(lines)


_PER_ACTION = (
    ('reference (actionspec)', 'reference: one action'),
    ('ops.testing Harness', 'ops.testing Harness: run_action'),
    ('ops.testing Scenario', 'ops.testing Scenario: Context.run'),
    ('real ops runtime, warm', 'ops target: one dispatch, warm (fork)'),
    ('real ops runtime, cold', 'ops target: one dispatch, cold (exec)'),
)


def performance_page(bench: Mapping[str, Any] | None) -> str:
    """The performance page: goals, the figures table and two charts, from `actionspec bench`."""
    if bench is None:
        return (
            '# Performance\n\nNot measured yet: `make bench` measures everything and writes '
            '`docs/assets/bench.json`, from which this page is made.\n'
        )
    figures = {f['name']: f for f in bench['figures']}
    machine = bench['machine']
    lines = [
        '# Performance',
        '',
        f'Measured by `actionspec bench` on {bench["measured"]}, on a machine with '
        f'{machine["cpus"]} cores (Python {machine["python"]}, {machine["system"]}). Every '
        'figure is the median of several repeats, with the fastest and slowest beside it, and '
        'every ratio is taken between figures of the same run. Reproduce with `make bench` '
        '(add `--json PATH` to `actionspec bench` for the raw data).',
        '',
        'The machine is a shared two-core virtual machine whose speed drifts by tens of '
        'percent from one run to the next. The first figure, a fixed pure-Python loop, says '
        'how fast it was during this run: compare it before comparing runs.',
        '',
        '## Goals',
        '',
        '| goal | measured | |',
        '|---|---|---|',
    ]
    for goal in bench['goals']:
        value = goal['value']
        shown = '' if value is None else _shown(goal['figure'], value)
        mark = {True: 'met', False: '**missed**', None: 'not measured'}[goal['met']]
        lines.append(f'| {goal["goal"]} | {shown} | {mark} |')
    lines += ['', '## Cost per action', '']
    rows = [(label, figures[name]['median']) for label, name in _PER_ACTION if name in figures]
    if rows:
        lines += [plots.bars(rows, title='seconds per action (log scale)'), '']
    lines += [
        'The reference runs the whole model in this process: controller checks, the '
        "framework's dispatch, results, logs and the trace. Harness skips much of it (no "
        'deferred events, no collect-status, no param checks), Scenario builds and checks a '
        'full `State`, and the real runtime starts a process per dispatch as Juju does.',
        '',
        '## Fan-out',
        '',
    ]
    points = sorted(
        (int(f['name'].split()[2]), f['median'])
        for f in bench['figures']
        if f['name'].startswith('fan-out to ')
    )
    if points:
        lines += [plots.fan_out(points, title='one juju run on N units (log-log)'), '']
    lines += ['## Every figure', '', '| measure | median | fastest | slowest | per |']
    lines.append('|---|---|---|---|---|')
    for f in bench['figures']:
        lines.append(
            f'| {f["name"]} | {_time(f["median"])} | {_time(f["low"])} '
            f'| {_time(f["high"])} | {f["per"]} |'
        )
    lines += ['', '| ratio | value |', '|---|---|']
    lines += [f'| {name} | {value:.1f}x |' for name, value in bench['ratios'].items()]
    if bench['notes']:
        lines += ['', *[f'- {note}' for note in bench['notes']]]
    return '\n'.join(lines) + '\n'


def _shown(figure: str, value: float) -> str:
    return f'{value:.1f}x' if figure[0].isupper() or figure.startswith('cost') else _time(value)


def _time(seconds: float) -> str:
    return terminal.human_seconds(seconds)
