"""Differential fuzzing: the reference and the real ops runtime agree on generated
scenarios, and when they do not, the fuzzer hands back a small scenario that shows it."""

from __future__ import annotations

import random

import pytest
import yaml

from actionspec import targets
from actionspec.suite import compare, fuzz, loader, runner, scenario
from actionspec.targets import mutants


def test_generated_scenarios_are_valid_and_varied():
    rng = random.Random(3)
    seen_units: set[int] = set()
    seen_versions: set[str] = set()
    for n in range(200):
        data = fuzz.generate(rng)
        case = fuzz._case(data, f'fuzz/x-{n}', None)  # loads: schema and sense checks pass
        seen_units.add(case.apps[0].units)
        seen_versions.update(case.juju_versions)
    assert seen_units == {1, 2, 3}
    assert seen_versions == set(fuzz.VERSIONS)


@pytest.mark.needs_ops
def test_reference_and_ops_agree_on_a_small_sample():
    findings = fuzz.run(25, 0, targets.make('reference'), targets.make('ops'))
    assert findings.not_covered == 0
    assert findings.disagreements == [], '\n'.join(d.text for d in findings.disagreements)


@pytest.mark.needs_ops
def test_a_disagreement_comes_back_small_and_reproduces():
    broken = next(m for m in mutants.MUTANTS if m.name == 'no-deferred-reemission')
    reference, ops = targets.make('reference'), targets.make('ops')
    with broken.patch():
        found = fuzz.run(10, 0, reference, ops).disagreements
    assert found
    first = found[0]
    assert any('deferred' in m or 'trace' in m for m in first.mismatches)
    data = yaml.safe_load(first.text)
    steps = sum(len(s) for s in data['charm']['db'].values())
    assert steps == 0 and len(data['model']['deferred']) == 1  # one deferred event left
    case = loader.load_text(first.text, 'disagreement.yaml', 'fuzz/found')
    version = case.juju_versions[0]
    assert runner.run_one(case, ops, version).outcome is runner.Outcome.FAILED
    with broken.patch():
        assert runner.run_one(case, reference, version).outcome is runner.Outcome.PASSED


@pytest.mark.needs_ops
def test_examples_a_target_cannot_observe_are_counted_apart():
    harness = targets.make('ops-harness')  # cannot show other units, juju run output, ...
    findings = fuzz.run(30, 5, targets.make('reference'), harness)
    assert findings.not_covered > 0
    assert findings.not_covered + len(findings.disagreements) <= 30


def test_an_observation_becomes_the_typed_expectation_its_file_loads_back_as():
    reference = targets.make('reference')
    rng = random.Random(7)
    kinds = set()
    for n in range(40):
        data = fuzz.generate(rng)
        version = data['juju'][0]
        seen = reference.observe(fuzz._case(data, f'fuzz/x-{n}', None), version)
        expect = fuzz.expectation(seen)
        assert isinstance(expect, scenario.Expectation)
        case = fuzz._case(data, f'fuzz/x-{n}', expect)  # written as YAML, loaded back
        assert case.expect == expect
        assert compare.compare(case, reference.observe(case, version)) == []
        kinds.add('error' if expect.error else 'tasks')
    assert kinds == {'error', 'tasks'}
