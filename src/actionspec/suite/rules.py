"""The numbered rules of the model (C1-C9, J1-J12), as data: `conformance/rules.yaml`.

Each rule is stated once, there, with its sources; scenarios name rules by id, and the
loader, the catalogue, the reference page and the mutants all read the statements from
this one file, so no copy of a rule can drift from it. The file is read with the
same strict YAML reader as scenarios (`yamldata`) and checked against `rules.schema.json`, and
every refusal is one line naming file, line and field.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
from collections.abc import Mapping
from typing import Any

import jsonschema

from .. import yamldata
from . import scenario, schemas

FILE = 'rules.yaml'
SCHEMA = 'rules.schema.json'
_PREFIX = {scenario.Side.CHARM: 'C', scenario.Side.CONTROLLER: 'J'}


class RulesError(yamldata.DataError):
    """A rules file that cannot be used, and where: `file:line: field: message`."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule of the action event model, as the rules file states it."""

    id: str
    """`C<n>` (charm side) or `J<n>` (controller side): what scenarios name in `rules:`."""

    side: scenario.Side
    """Whose rule it is: the charm framework's (CHARM) or Juju's (CONTROLLER)."""

    statement: str
    """The rule in one sentence, in this project's words; pages and tools print it."""

    sources: tuple[str, ...]
    """Where the rule comes from, each `<owner>/<repository> <path>`, so it can be checked."""

    line: int = dataclasses.field(default=0, compare=False)
    """The line of the rules file the entry starts on, for messages that point at it."""

    @property
    def anchor(self) -> str:
        """The id of the rule's entry on a page (`rule-j7`)."""
        return anchor(self.id)


def anchor(rule_id: str) -> str:
    """The id a page gives a rule's entry (`rule-j7`), so links to it stay stable."""
    return f'rule-{rule_id.lower()}'


def path() -> pathlib.Path:
    """The bundled rules file, beside the bundled scenarios."""
    return schemas.bundled_suite() / FILE


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    text = (schemas.bundled_suite() / SCHEMA).read_text(encoding='utf-8')
    return jsonschema.Draft202012Validator(json.loads(text))


def load_text(text: str, shown: str) -> tuple[Rule, ...]:
    """The rules in `text`, in file order; `shown` names the file in errors."""
    try:
        data, lines = yamldata.read(text, shown)
    except yamldata.DataError as e:
        raise RulesError(e.path, e.line, e.field, e.message) from None
    if not isinstance(data, list):
        raise RulesError(shown, 1, '', 'a rules file is a YAML list of rules')
    errors = sorted(
        _validator().iter_errors(data),
        key=lambda e: (lines.get(yamldata.field_name(e.absolute_path), 1), len(e.absolute_path)),
    )
    if errors:
        raise _schema_error(errors[0], lines, shown)
    found: dict[str, Rule] = {}
    for n, entry in enumerate(data):
        rule = Rule(
            id=entry['id'],
            side=scenario.Side(entry['side']),
            statement=entry['statement'],
            sources=tuple(entry['sources']),
            line=lines.get(f'[{n}]', 1),
        )
        where = f'[{n}].id'
        if rule.id in found:
            raise RulesError(
                shown,
                lines.get(where, rule.line),
                where,
                f'{rule.id!r} is stated twice (first on line {found[rule.id].line})',
            )
        if not rule.id.startswith(_PREFIX[rule.side]):
            raise RulesError(
                shown,
                lines.get(where, rule.line),
                where,
                f'the id of a {rule.side}-side rule starts with {_PREFIX[rule.side]!r}',
            )
        found[rule.id] = rule
    return tuple(found.values())


def _schema_error(error: jsonschema.ValidationError, lines: Any, shown: str) -> RulesError:
    plain = schemas.schema_error(error, lines, shown)
    message = plain.message
    if error.validator == 'pattern' and plain.field.endswith('.statement'):
        message = 'a statement is one sentence on one line, ending with a full stop'
    elif error.validator == 'pattern' and '.sources[' in plain.field:
        message = f'{error.instance!r} is not `<owner>/<repository> <path>`'
    return RulesError(shown, plain.line, plain.field, message)


def load_file(file: pathlib.Path) -> tuple[Rule, ...]:
    """The rules in one file, in file order."""
    try:
        text = file.read_text(encoding='utf-8')
    except UnicodeDecodeError as e:
        raise RulesError(str(file), 1, '', f'not UTF-8 text ({e.reason})') from None
    except OSError as e:
        raise RulesError(str(file), 1, '', f'cannot read: {e.strerror}') from None
    return load_text(text, str(file))


@functools.cache
def bundled() -> Mapping[str, Rule]:
    """The bundled rules by id, in file order (read once per process)."""
    return {rule.id: rule for rule in load_file(path())}
