"""The suite's JSON Schemas, and their errors said plainly.

Scenarios and the rules file are both checked against a schema shipped with the suite;
a schema error becomes one line naming the file, the line and the field, worded for a
person rather than as jsonschema says it.
"""

from __future__ import annotations

import functools
import json
import pathlib
from collections.abc import Sequence
from typing import Any

import jsonschema

from .. import yamldata
from . import scenario

Path = pathlib.Path


def bundled_suite() -> Path:
    """The suite shipped with actionspec (inside the wheel, or the source tree's)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / 'conformance', here.parents[2] / 'conformance'):
        if (candidate / 'schema.json').is_file():
            return candidate
    raise FileNotFoundError('the bundled conformance suite is missing from this installation')


@functools.cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((bundled_suite() / 'schema.json').read_text())
    return loaded


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema())


# -- schema errors, said plainly ---------------------------------------------------------


def schema_error(
    error: jsonschema.ValidationError, lines: yamldata.Lines, path: str
) -> yamldata.DataError:
    at = list(error.absolute_path)
    field = yamldata.field_name(at)
    message = error.message
    instance: Any = error.instance
    rule: Any = error.schema
    if error.validator == 'additionalProperties':
        extra = sorted(set(instance) - set(rule.get('properties', {})))
        field = yamldata.field_name([*at, extra[0]])
        message = f'unknown field {extra[0]!r}'
    elif error.validator == 'required':
        message = f'missing required field {error.message.split(chr(39))[1]!r}'
    elif error.validator == 'oneOf' and _is_step_path(at):
        field, message = _step_error(error.instance, at)
    elif error.validator == 'enum':
        allowed = ', '.join(str(v) for v in error.validator_value)  # type: ignore[union-attr]
        message = f'{error.instance!r} is not one of: {allowed}'
    elif error.validator == 'pattern' and isinstance(error.instance, str):
        message = f'{error.instance!r} is not a valid name here'
    elif error.validator == 'propertyNames':
        bad = error.instance
        field = yamldata.field_name(at)
        message = f'{_bad_name(bad, error)!r} is not a valid name here'
    line = lines.get(field) or lines.get(yamldata.field_name(at)) or 1
    return yamldata.DataError(path, line, field, message)


def _bad_name(names: Any, error: jsonschema.ValidationError) -> Any:
    for context in error.context or ():
        return context.instance
    return names


def _is_step_path(at: Sequence[Any]) -> bool:
    return (len(at) >= 4 and at[0] == 'charm') or (bool(at) and at[-1] == 'step')


def _step_error(step: Any, at: Sequence[Any]) -> tuple[str, str]:
    field = yamldata.field_name(at)
    known = ', '.join(scenario.STEP_KINDS)
    if not isinstance(step, dict) or len(step) != 1:
        return field, f'a step is a mapping with exactly one of: {known}'
    (kind,) = step
    if kind not in scenario.STEP_KINDS:
        return yamldata.field_name([*at, kind]), f'unknown step {kind!r} (known steps: {known})'
    branch = next(b for b in schema()['$defs']['step']['oneOf'] if kind in b['properties'])
    sub = jsonschema.Draft202012Validator({**branch, '$defs': schema()['$defs']}).iter_errors(step)
    first = min(sub, key=lambda e: len(e.absolute_path), default=None)
    if first is None:
        return field, f'invalid {kind!r} step'
    return yamldata.field_name([*at, *first.absolute_path]), first.message


# -- sense checks ------------------------------------------------------------------------
