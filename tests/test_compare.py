"""`actionspec compare` and `actionspec badges`, on reports of real runs of the suite.

The reports come from `actionspec run` itself: the reference, and the reference as a
release that broke one rule (a mutant from targets/mutants.py under the same target name),
so a regression between them is one the suite really finds.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from actionspec import cli, version
from actionspec.reports import badges, json_report
from actionspec.suite import loader, scenario, target
from actionspec.targets import mutants, reference

ROOT = pathlib.Path(__file__).resolve().parent.parent
MUTANT = next(m for m in mutants.MUTANTS if m.name == 'shallow-results-merge')
HERE = __name__  # targets below are named to `--target` as `tests.test_compare:Class`


class RegressedReference(reference.ReferenceTarget):
    """The reference as a release that merges successive set_results shallowly (J2)."""

    def observe(self, case: scenario.Scenario, juju_version: str) -> target.Observation:
        with MUTANT.patch():
            return super().observe(case, juju_version)


class SecondTarget(reference.ReferenceTarget):
    """Another implementation, to have a target that only one report holds."""

    name = 'second'


def run_suite(report: pathlib.Path, *args: str) -> pathlib.Path:
    """`actionspec run ... --report REPORT` in this process; the report it wrote."""
    cli.main(['run', '--jobs', '1', '--report', str(report), *args])
    return report


def results_of(report: pathlib.Path) -> list[dict]:
    results: list[dict] = json.loads(report.read_text())['results']
    return results


@pytest.fixture(scope='module')
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """Real reports: `old` (results and logs on the reference) and `new` (results and
    params on the regressed reference: results regress, params are new, logs are gone)."""
    out = tmp_path_factory.mktemp('reports')
    return {
        'old': run_suite(out / 'old.json', '--select', 'results/*', '--select', 'logs/*'),
        'new': run_suite(
            out / 'new.json',
            '--target',
            f'{HERE}:RegressedReference',
            '--select',
            'results/*',
            '--select',
            'params/*',
        ),
    }


def compare(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(['compare', *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ids(report: pathlib.Path, prefix: str, outcome: str | None = None) -> set[str]:
    return {
        r['id']
        for r in results_of(report)
        if r['id'].startswith(prefix) and outcome in (None, r['outcome'])
    }


def rows(out: str, change: str) -> dict[str, list[str]]:
    """The table's rows of one kind, by scenario id: [old, new, note...]."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if words[:2] == [change, 'reference']:
            found[words[2]] = words[3:]
    return found


# -- compare -------------------------------------------------------------------------------


def test_a_real_regression_is_found_and_fails_with_status_1(runs, capsys):
    code, out, err = compare(capsys, str(runs['old']), str(runs['new']))
    broken = ids(runs['new'], 'results/', 'failed')
    assert broken, 'the mutant breaks no results scenario: the test proves nothing'
    assert code == cli.EXIT_FAILED and err == ''
    regressed = rows(out, 'regressed')
    assert set(regressed) == broken
    for old, new, *note in regressed.values():
        assert (old, new) == ('passed', 'failed')
        assert ' '.join(note).startswith('differs in expect.')  # the field that broke
    assert set(rows(out, 'new')) == ids(runs['new'], 'params/')
    assert set(rows(out, 'gone')) == ids(runs['old'], 'logs/')
    unchanged = len(ids(runs['old'], 'results/')) - len(broken)
    assert out.rstrip().endswith(
        f'{len(broken)} regressed, 0 fixed, 0 changed, {len(ids(runs["new"], "params/"))} '
        f'new, {len(ids(runs["old"], "logs/"))} gone, {unchanged} unchanged '
        f'({unchanged} passed)'
    )


def test_the_other_way_round_the_regression_is_a_fix_and_status_0(runs, capsys):
    code, out, _ = compare(capsys, str(runs['new']), str(runs['old']))
    assert code == cli.EXIT_OK
    fixed = rows(out, 'fixed')
    assert set(fixed) == ids(runs['new'], 'results/', 'failed')
    assert all(r[:3] == ['failed', 'passed', 'was:'] for r in fixed.values())
    assert set(rows(out, 'new')) == ids(runs['old'], 'logs/')
    assert set(rows(out, 'gone')) == ids(runs['new'], 'params/')
    assert not rows(out, 'regressed')


def test_a_report_against_itself_changes_nothing(runs, capsys):
    code, out, _ = compare(capsys, str(runs['new']), str(runs['new']))
    total = len(results_of(runs['new']))
    assert code == cli.EXIT_OK
    assert 'change ' not in out  # no table of changes
    assert f'0 new, 0 gone, {total} unchanged (' in out


def test_markdown_for_a_step_summary(runs, capsys, tmp_path):
    code, out, _ = compare(capsys, str(runs['old']), str(runs['new']), '--markdown')
    assert code == cli.EXIT_FAILED
    assert out.startswith('## Conformance: what changed\n')
    assert '| change | target | scenario | old | new | note |' in out
    for case_id in ids(runs['new'], 'results/', 'failed'):
        assert f'| **regressed** | reference | {case_id} | passed | **failed** |' in out
    assert '\n**' in out  # the counts are bold when something regressed
    # --append-markdown adds to what the file holds and still prints the table.
    summary = tmp_path / 'summary.md'
    summary.write_text('# Earlier step\n')
    code, table, _ = compare(
        capsys, str(runs['old']), str(runs['new']), '--append-markdown', str(summary)
    )
    assert code == cli.EXIT_FAILED
    assert summary.read_text() == '# Earlier step\n' + out
    assert table.startswith('old: ') and 'regressed  reference' in table


def _scenario_copy(into: pathlib.Path, case_id: str) -> None:
    source = loader.bundled_suite() / f'{case_id}.yaml'
    (into / case_id).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, into / f'{case_id}.yaml')


def _expect_failure(suite: pathlib.Path, case_id: str, reason: str) -> None:
    lists = suite / 'expected-failures'
    lists.mkdir(exist_ok=True)
    (lists / 'reference.yaml').write_text(f'- id: {case_id}\n  reason: {reason}\n')


def test_a_known_failure_is_worse_than_a_pass_and_a_new_reason_is_a_change(tmp_path, capsys):
    case_id = 'results/deep-merge-across-calls'
    suite = tmp_path / 'suite'
    _scenario_copy(suite, case_id)
    regressed = f'{HERE}:RegressedReference'
    passing = run_suite(tmp_path / 'passing.json', '--suite', str(suite))
    _expect_failure(suite, case_id, 'merges shallowly, fixed in the next release')
    known = run_suite(tmp_path / 'known.json', '--suite', str(suite), '--target', regressed)
    _expect_failure(suite, case_id, 'merges shallowly, see issue 12')
    known_again = run_suite(tmp_path / 'again.json', '--suite', str(suite), '--target', regressed)
    assert [r['outcome'] for r in results_of(known)] == ['xfailed']

    code, out, _ = compare(capsys, str(passing), str(known))
    assert code == cli.EXIT_FAILED
    assert rows(out, 'regressed')[case_id][:2] == ['passed', 'xfailed']

    code, out, _ = compare(capsys, str(known), str(known_again))
    assert code == cli.EXIT_OK
    assert rows(out, 'changed')[case_id][:2] == ['xfailed', 'xfailed']
    assert 'merges shallowly, fixed in the next release -> merges shallowly, see issue 12' in out


def test_targets_only_one_report_has_are_named_with_their_totals(tmp_path, capsys):
    old = run_suite(tmp_path / 'old.json', '--select', 'logs/*')
    new = run_suite(
        tmp_path / 'new.json',
        *('--select', 'logs/*', '--target', 'reference', '--target', f'{HERE}:SecondTarget'),
    )
    logs = len(ids(old, 'logs/'))
    code, out, _ = compare(capsys, str(old), str(new))
    assert code == cli.EXIT_OK
    assert f'target only in the new report: second ({logs} passed)' in out
    code, out, _ = compare(capsys, str(new), str(old))
    assert f'target only in the old report: second ({logs} passed)' in out
    code, out, _ = compare(capsys, str(new), str(new))
    assert out.splitlines()[-3].split() == ['second', '0', '0', '0', '0', '0', str(logs)]


def test_other_juju_versions_and_an_incomplete_report_are_said(runs, tmp_path, capsys):
    other = run_suite(tmp_path / 'other.json', '--juju-version', '4.0', '--select', 'results/*')
    data = json.loads(other.read_text())
    data['complete'] = False  # as a run killed part way leaves it
    cut = tmp_path / 'cut.json'
    cut.write_text(json.dumps(data))
    code, out, _ = compare(capsys, str(runs['old']), str(cut))
    assert code == cli.EXIT_OK  # an interruption is not a regression
    assert (
        f'note: the runs checked different Juju versions: 3.6 in {runs["old"]}, 4.0 in {cut}'
        in out
    )
    assert f'note: {cut} is incomplete (its run was interrupted): a scenario shown as gone' in out
    assert f'new: {cut} (actionspec ' in out and ', incomplete)' in out


def _report_with(runs, tmp_path, change):
    """A copy of the real `old` report with one thing changed by `change`."""
    data = json.loads(runs['old'].read_text())
    change(data)
    path = tmp_path / 'edited.json'
    path.write_text(json.dumps(data, indent=2))
    return path


def _duplicate(data: dict) -> None:
    data['results'][1]['id'] = data['results'][0]['id']


@pytest.mark.parametrize(
    ('edit', 'message'),
    [
        (
            lambda d: d.__setitem__('schema_version', 2),
            f'schema_version: report schema version 2; actionspec {version.VERSION} reads '
            'version 1: written by a newer actionspec, upgrade this one',
        ),
        (
            lambda d: d['results'][2].__setitem__('outcome', 'great'),
            "results[2].outcome: 'great' is not one of: passed, failed, skipped, errored, "
            'xfailed, xpassed',
        ),
        (lambda d: d['results'][0].pop('target'), "results[0]: missing required field 'target'"),
        (lambda d: d.__setitem__('colour', 'red'), "colour: unknown field 'colour'"),
        (_duplicate, 'results[1]: {id} on target reference is already results[0]'),
    ],
    ids=['schema-version', 'outcome', 'missing-field', 'unknown-field', 'duplicate'],
)
def test_a_report_with_a_bad_field_is_refused_naming_file_line_and_field(
    runs, tmp_path, capsys, edit, message
):
    path = _report_with(runs, tmp_path, edit)
    code, out, err = compare(capsys, str(path), str(runs['new']))
    data = json.loads(path.read_text())
    assert code == cli.EXIT_USAGE and out == ''
    assert err.count('\n') == 1
    file_and_line, _, rest = err.removeprefix('actionspec: error: ').partition(': ')
    name, _, line = file_and_line.rpartition(':')
    assert name == str(path)
    assert rest == message.format(id=data['results'][0]['id']) + '\n'
    # The line is where the field's value stands.
    last = rest.partition(':')[0].rpartition('.')[2]
    shown = path.read_text().splitlines()[int(line) - 1]
    assert shown.strip() == '{' if last.endswith(']') else f'"{last}": ' in shown


@pytest.mark.parametrize(
    ('content', 'message'),
    [
        (
            '{"actionspec": "0.1.0",\n  "results": [,]}\n',
            ':2: not JSON: Expecting value (column 15)',
        ),
        ('[1, 2]\n', ':1: not a report written by `actionspec run --report FILE.json`'),
        (b'\xff\xfe{}', ':1: not JSON: the file is not UTF-8 text'),
    ],
    ids=['not-json', 'not-an-object', 'not-utf-8'],
)
def test_a_file_that_is_no_report_is_refused_in_one_line(runs, tmp_path, capsys, content, message):
    path = tmp_path / 'bad.json'
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, _, err = compare(capsys, str(runs['old']), str(path))
    assert code == cli.EXIT_USAGE
    assert err == f'actionspec: error: {path}{message}\n'


def test_other_json_of_the_kit_and_missing_files_are_refused(runs, tmp_path, capsys):
    matrix = ROOT / 'docs' / 'assets' / 'conformance-matrix.json'
    code, _, err = compare(capsys, str(matrix), str(runs['new']))
    assert (code, err) == (
        cli.EXIT_USAGE,
        f'actionspec: error: {matrix}:1: not a report written by '
        '`actionspec run --report FILE.json`\n',
    )
    missing = tmp_path / 'nope.json'
    code, _, err = compare(capsys, str(runs['old']), str(missing))
    assert code == cli.EXIT_USAGE
    assert err == f'actionspec: error: {missing}: cannot read it: No such file or directory\n'
    code, _, err = compare(capsys, str(tmp_path), str(runs['old']))
    assert err == f'actionspec: error: {tmp_path}: cannot read it: Is a directory\n'


def test_a_report_without_a_schema_version_is_read_as_version_1(runs, tmp_path, capsys):
    """Reports written before the field existed."""
    path = _report_with(runs, tmp_path, lambda d: d.pop('schema_version'))
    assert json_report.Report.read(path).entries == json_report.Report.read(runs['old']).entries


# -- badges --------------------------------------------------------------------------------

# The fields of a shields.io endpoint file (https://shields.io/badges/endpoint-badge).
SHIELDS_ENDPOINT = {
    'type': 'object',
    'required': ['schemaVersion', 'label', 'message'],
    'additionalProperties': False,
    'properties': {
        'schemaVersion': {'const': 1},
        'label': {'type': 'string'},
        'message': {'type': 'string', 'minLength': 1},
        'color': {'enum': list(badges.COLORS)},
        'labelColor': {'type': 'string'},
        'isError': {'type': 'boolean'},
        'namedLogo': {'type': 'string'},
        'logoSvg': {'type': 'string'},
        'logoColor': {'type': 'string'},
        'logoWidth': {'type': 'integer'},
        'style': {'type': 'string'},
        'cacheSeconds': {'type': 'integer'},
    },
}
SVG = '{http://www.w3.org/2000/svg}'


def test_badges_of_a_real_report(runs, tmp_path, capsys):
    out = tmp_path / 'badges'
    assert cli.main(['badges', str(runs['new']), '--out', str(out)]) == cli.EXIT_OK
    assert capsys.readouterr().out == f'{out / "reference.json"}\n{out / "reference.svg"}\n'
    results = results_of(runs['new'])
    passed = sum(r['outcome'] == 'passed' for r in results)
    failed = sum(r['outcome'] == 'failed' for r in results)
    ran = sum(r['outcome'] != 'skipped' for r in results)
    assert failed > 0 and passed + failed == ran

    endpoint = json.loads((out / 'reference.json').read_text())
    jsonschema.validate(endpoint, SHIELDS_ENDPOINT)
    assert endpoint['label'] == 'reference (Juju 3.6)'
    assert endpoint['message'] == f'{passed}/{ran} passing, {failed} failing'
    assert endpoint['color'] == badges.color_for(passed, ran)

    svg = ET.parse(out / 'reference.svg').getroot()  # well-formed XML
    assert svg.tag == f'{SVG}svg'
    texts = [t.text for t in svg.iter(f'{SVG}text')]
    assert texts == [endpoint['label']] * 2 + [endpoint['message']] * 2  # shadow, then text
    fills = [r.get('fill') for r in svg.iter(f'{SVG}rect')]
    assert badges.COLORS[endpoint['color']] in fills
    title = svg.find(f'{SVG}title')
    skipped = len(results) - ran
    assert skipped > 0 and title is not None
    assert title.text == 'actionspec conformance of reference under Juju 3.6: ' + (
        f'{endpoint["message"]}, {skipped} skipped'
    )
    width = float(svg.get('width', '0'))
    expected = sum(
        round(badges.text_width(t) + 2 * badges.PADDING)
        for t in (endpoint['label'], endpoint['message'])
    )
    assert width == expected


@pytest.mark.parametrize(
    ('passed', 'ran', 'color'),
    [
        (120, 120, 'brightgreen'),
        (119, 120, 'green'),
        (95, 100, 'green'),
        (94, 100, 'yellowgreen'),
        (90, 100, 'yellowgreen'),
        (89, 100, 'yellow'),
        (75, 100, 'yellow'),
        (74, 100, 'orange'),
        (50, 100, 'orange'),
        (49, 100, 'red'),
        (0, 10, 'red'),
        (0, 0, 'lightgrey'),
    ],
)
def test_badge_colour_follows_the_share_passing(passed, ran, color):
    assert badges.color_for(passed, ran) == color


def test_badge_message_counts_known_failures_and_failures_apart():
    totals = {'passed': 38, 'xfailed': 41, 'skipped': 79, 'failed': 2, 'xpassed': 1, 'errored': 3}
    badge = badges.for_target('ops-scenario', totals, '4.0')
    assert badge.label == 'ops-scenario (Juju 4.0)'
    assert badge.message == '38/85 passing, 41 known failures, 3 failing, 3 errored'
    assert badge.color == 'red'
    assert badge.title.endswith(', 79 skipped')
    nothing = badges.for_target('harness', {'skipped': 5}, '3.6')
    assert (nothing.message, nothing.color) == ('no scenario ran', 'lightgrey')


def test_badge_text_is_escaped_and_every_printable_character_has_a_width():
    assert all(chr(c) in badges.WIDTHS for c in range(0x20, 0x7F))
    badge = badges.for_target('charm:<a&b>/x', {'passed': 1}, '3.6')
    svg = ET.fromstring(badge.svg())
    assert next(t.text for t in svg.iter(f'{SVG}text')) == 'charm:<a&b>/x (Juju 3.6)'
    assert badges.file_stem('charm:<a&b>/x') == 'charm-a-b-x'


def test_badges_refuse_an_incomplete_report(runs, tmp_path, capsys):
    path = _report_with(runs, tmp_path, lambda d: d.__setitem__('complete', False))
    assert cli.main(['badges', str(path), '--out', str(tmp_path / 'b')]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err == (
        f'actionspec: error: {path}: the report is incomplete (its run was interrupted): '
        'badges made from it would undercount\n'
    )
    assert not (tmp_path / 'b').exists()
