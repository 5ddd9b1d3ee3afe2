"""The rules as data (conformance/rules.yaml): their content, their strict loader, and the
places that read them (scenario loader, catalogue, reference page, mutants, wheel)."""

from __future__ import annotations

import json
import pathlib
import re

import jsonschema
import pytest
import yaml

from actionspec.site import pages
from actionspec.suite import loader, rules, scenario
from actionspec.targets import mutants

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITE = loader.bundled_suite()
TEXT = rules.path().read_text(encoding='utf-8')
# Where the rules come from: the repositories the scenarios' own citations allow.
REPOSITORIES = {'juju/juju', 'canonical/operator', 'juju/charm', 'juju/gojsonschema'}


# -- content ---------------------------------------------------------------------------------
def test_the_file_states_c1_to_c9_and_j1_to_j18_in_order_each_on_its_side() -> None:
    known = rules.bundled()
    assert list(known) == [f'C{n}' for n in range(1, 10)] + [f'J{n}' for n in range(1, 19)]
    for rule in known.values():
        side = scenario.Side.CHARM if rule.id[0] == 'C' else scenario.Side.CONTROLLER
        assert rule.side is side, rule.id


def test_the_file_fits_its_schema_read_by_plain_yaml() -> None:
    """The schema is checked on its own, not only through the loader that uses it."""
    schema = json.loads((SUITE / rules.SCHEMA).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(TEXT))


def test_each_statement_is_one_sentence() -> None:
    for rule in rules.bundled().values():
        prose = re.sub(r'`[^`]*`', 'code', rule.statement)  # full stops in code don't count
        assert '\n' not in rule.statement and rule.statement.endswith('.'), rule.id
        assert not re.search(r'[.!?]\s+[A-Z]', prose), f'{rule.id} has more than one sentence'


def test_each_source_is_a_file_of_a_known_repository() -> None:
    for rule in rules.bundled().values():
        for source in rule.sources:
            repository, _, file = source.partition(' ')
            assert repository in REPOSITORIES, (rule.id, source)
            assert '.' in file.rsplit('/', 1)[-1], (rule.id, source)  # a file, not a folder


def test_rule_lines_point_at_their_entries() -> None:
    lines = TEXT.splitlines()
    for rule in rules.bundled().values():
        assert lines[rule.line - 1] == f'- id: {rule.id}'


# -- the strict loader -------------------------------------------------------------------------
def _broken(old: str, new: str) -> str:
    assert TEXT.count(old) >= 1, old
    return TEXT.replace(old, new, 1)


def _line(text: str) -> int:
    return TEXT.splitlines().index(text) + 1


C4 = '- id: C4\n  side: charm\n'
# Where the cases below break the file: C4's entry, C3's, and C8's second source.
AT = {'c4': _line('- id: C4'), 'c3': _line('- id: C3')}
AT['log'] = TEXT.splitlines().index('  - canonical/operator ops/log.py', AT['c4']) + 1


@pytest.mark.parametrize(
    ('text', 'error'),
    [
        (_broken(C4, C4 + '  side: charm\n'), f'{AT["c4"] + 2}: [3].side: duplicate key'),
        (
            _broken(C4, '- id: &c4 C4\n  side: charm\n  title: *c4\n'),
            f'{AT["c4"]}: [3].title: YAML anchors and aliases are not allowed',
        ),
        (
            _broken('- id: C4', '- id: !!python/name:os.system C4'),
            f'{AT["c4"]}: YAML syntax error: could not determine a constructor for the tag '
            "'tag:yaml.org,2002:python/name:os.system'",
        ),
        (_broken(C4, C4 + '  title: x\n'), f"{AT['c4'] + 2}: [3].title: unknown field 'title'"),
        (
            _broken(C4, '- id: C4\n  side: juju\n'),
            f"{AT['c4'] + 1}: [3].side: 'juju' is not one of: charm, controller",
        ),
        (
            _broken(C4, '- id: C4\n  side: controller\n'),
            f"{AT['c4']}: [3].id: the id of a controller-side rule starts with 'J'",
        ),
        (
            _broken('- id: C4\n', '- id: C3\n'),
            f"{AT['c4']}: [3].id: 'C3' is stated twice (first on line {AT['c3']})",
        ),
        (
            _broken('  - canonical/operator ops/log.py\n', '  - ops/log.py\n'),
            f"{AT['log']}: [7].sources[1]: 'ops/log.py' is not `<owner>/<repository> <path>`",
        ),
        (
            _broken('  statement: >-\n    Deferring', '  statement: |-\n    Deferring\n   '),
            f'{AT["c4"] + 2}: [3].statement: '
            'a statement is one sentence on one line, ending with a full stop',
        ),
        ('{C1: x}\n', '1: a rules file is a YAML list of rules'),
        ('', '1: the file is empty'),
    ],
    ids=[
        'duplicate-key',
        'anchor',
        'python-tag',
        'unknown-field',
        'unknown-side',
        'id-of-the-other-side',
        'duplicate-id',
        'source-without-repository',
        'two-line-statement',
        'not-a-list',
        'empty',
    ],
)
def test_a_broken_rules_file_gives_one_line_naming_file_line_and_field(
    text: str, error: str
) -> None:
    with pytest.raises(rules.RulesError) as caught:
        rules.load_text(text, 'conformance/rules.yaml')
    assert str(caught.value) == f'conformance/rules.yaml:{error}'


def test_a_broken_bundled_rules_file_is_a_load_problem_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> dict[str, rules.Rule]:
        raise rules.RulesError('conformance/rules.yaml', 3, '[0].side', 'duplicate key')

    monkeypatch.setattr(rules, 'bundled', broken)
    cases, problems = loader.load([SUITE / 'logs' / 'in-order.yaml'])
    assert cases == []
    assert [str(p) for p in problems] == ['conformance/rules.yaml:3: [0].side: duplicate key']


# -- the scenario loader reads it ----------------------------------------------------------------
def test_scenario_rules_are_checked_against_the_file_not_a_fixed_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_j9 = {i: r for i, r in rules.bundled().items() if i != 'J9'}
    monkeypatch.setattr(rules, 'bundled', lambda: without_j9)
    path = SUITE / 'fan-out' / 'leader.yaml'
    assert 'rules: [J9]' in path.read_text()
    _, problems = loader.load([path])
    assert [str(p) for p in problems] == [
        f"{path}:3: rules[0]: no rule 'J9' in conformance/rules.yaml"
    ]


def test_the_rules_file_is_not_taken_for_a_scenario(tmp_path: pathlib.Path) -> None:
    files = [p for p, _ in loader.scenario_files(SUITE)]
    assert rules.path() not in files and files
    # A scenario deeper down may still be called rules.yaml.
    (tmp_path / 'rules.yaml').write_text(TEXT)
    (tmp_path / 'area').mkdir()
    deeper = tmp_path / 'area' / 'rules.yaml'
    deeper.write_text((SUITE / 'logs' / 'in-order.yaml').read_text())
    cases, problems = loader.load([tmp_path])
    assert problems == [] and [c.id for c in cases] == ['area/rules']


def test_the_wheel_ships_every_file_of_the_suite() -> None:
    """package-data globs, applied as setuptools applies them, reach every suite file."""
    tomllib = pytest.importorskip('tomllib')  # Python 3.11 and later
    config = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['setuptools']
    directory = ROOT / config['package-dir']['actionspec.conformance']
    shipped = {
        p for g in config['package-data']['actionspec.conformance'] for p in directory.glob(g)
    }
    wanted = {p for p in directory.rglob('*') if p.is_file() and '__pycache__' not in p.parts}
    assert rules.path().resolve() in {p.resolve() for p in wanted}
    assert sorted(map(str, wanted - shipped)) == []


# -- the pages read it ---------------------------------------------------------------------------
def test_a_rule_marker_becomes_its_statement_anchored_and_linked() -> None:
    page = pages.expand_rules('Intro.\n\n{{rule J7}}\n\nMore.\n', 'reference.md', rules.bundled())
    j7 = rules.bundled()['J7']
    assert (
        f'**Rule [J7](catalogue/index.md#rule-j7)** (controller side): {j7.statement}\n'
        '{: #rule-j7 .as-rule }\n'
    ) in page
    assert page.startswith('Intro.\n') and page.endswith('More.\n')
    assert '{{rule' not in page


def test_a_marker_naming_no_rule_or_inside_a_sentence_stops_the_build() -> None:
    with pytest.raises(pages.UnknownRuleError, match=r'errata.md: \{\{rule J99\}\} names no rule'):
        pages.expand_rules('{{rule J99}}\n', 'errata.md', rules.bundled())
    with pytest.raises(pages.UnknownRuleError, match='must stand on a line of its own'):
        pages.expand_rules('As {{rule J7}} says.\n', 'errata.md', rules.bundled())


def test_the_reference_page_states_every_rule_exactly_once() -> None:
    text = (ROOT / 'docs' / 'reference.md').read_text()
    stated = pages.RULE.findall(text)
    assert sorted(stated) == sorted(rules.bundled())
    for rule in rules.bundled().values():
        assert rule.statement not in text, f'{rule.id} is copied by hand'


def test_the_catalogue_lists_every_rule_with_the_scenarios_that_check_it() -> None:
    cases = pages.load_suite()
    index = pages.catalogue(
        cases, json.loads((ROOT / 'docs/assets/conformance-matrix.json').read_text())
    )['catalogue/index.md']
    for rule in rules.bundled().values():
        row = next(line for line in index.splitlines() if line.startswith(f'| **{rule.id}**{{'))
        checking = [c.id for c in cases if rule.id in c.rules]
        assert f'{{#{rule.anchor}}}' in row and rule.statement in row
        assert f'| {len(checking)} scenario{"s" * (len(checking) != 1)}: ' in row
        assert all(
            f'[`{i}`]({pages.scenario_uri(i).removeprefix("catalogue/")})' in row for i in checking
        )


def test_each_scenario_links_its_rules() -> None:
    cases = pages.load_suite()
    matrix = json.loads((ROOT / 'docs/assets/conformance-matrix.json').read_text())
    area_page = pages.catalogue(cases, matrix)['catalogue/logs.md']
    case = next(c for c in cases if c.id == 'logs/in-order')
    assert (
        f'· rules {", ".join(f"[{r}](index.md#rule-{r.lower()})" for r in case.rules)}'
        in area_page
    )


# -- the mutants read it -------------------------------------------------------------------
def test_every_mutant_names_a_rule_and_prints_its_statement() -> None:
    for mutant in mutants.MUTANTS:
        statement = rules.bundled()[mutant.rule].statement
        assert mutant.breaks.startswith(f'{mutant.rule} broken: {mutant.how}.')
        assert mutant.breaks.endswith(statement)
