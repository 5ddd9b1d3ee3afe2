"""The JSON report: everything a CI needs, described by conformance/report.schema.json.

`render` writes it; `Report.read` takes one back (for `actionspec compare` and
`actionspec badges`), refusing anything that is not a report this version can read with
one line naming the file, the line and the field.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import functools
import json
import pathlib
import re
from typing import Any

import jsonschema

from .. import version, yamldata
from ..suite import runner, schemas
from .record import RunRecord

SCHEMA = 'report.schema.json'
# Raised whenever the format changes in a way an older reader would misread. Reports
# written before the field existed are version 1.
SCHEMA_VERSION = 1


def as_data(run: RunRecord) -> dict[str, Any]:
    results, problems = run.results, run.problems
    counts = runner.counts(results)
    return {
        'actionspec': version.VERSION,
        'schema_version': SCHEMA_VERSION,
        'juju_version': run.juju_version,
        'complete': run.complete,
        'summary': {str(k): v for k, v in counts.items()} | {'problems': len(problems)},
        'problems': [
            {'path': p.path, 'line': p.line, 'field': p.field, 'message': p.message}
            for p in problems
        ],
        'results': [_result(r) for r in results],
    }


def _result(result: runner.Result) -> dict[str, Any]:
    case = result.case
    return {
        'id': case.id,
        'title': case.title,
        'target': result.target,
        'outcome': str(result.outcome),
        'juju_version': result.juju_version,
        'path': case.path,
        'line': case.line(''),
        'side': str(case.side),
        'rules': list(case.rules),
        'cites': [{'source': c.source, 'claim': c.claim} for c in case.cites],
        'reason': result.reason,
        'link': result.link,
        'seconds': round(result.seconds, 6),
        'mismatches': [
            {
                'field': m.field,
                'line': case.line(m.field),
                'expected': m.expected,
                'observed': m.observed,
                'diff': m.diff,
            }
            for m in result.mismatches
        ],
    }


def render(run: RunRecord) -> str:
    data = as_data(run)
    return json.dumps(data, indent=2, default=str, ensure_ascii=False) + '\n'


# -- reading a report back ---------------------------------------------------------------


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((schemas.bundled_suite() / SCHEMA).read_text(encoding='utf-8'))
    return jsonschema.Draft202012Validator(schema)


class ReportError(ValueError):
    """A file that is not a report this actionspec can read, said in one line that names
    the file (and the line and field, where there is one)."""


def _refused(path: str, line: int, field: str, message: str) -> ReportError:
    return ReportError(str(yamldata.DataError(path, line, field, message)))


def read(path: pathlib.Path) -> dict[str, Any]:
    """The report at `path`, checked against the report schema; ReportError if it is not
    one or cannot be read."""
    name = str(path)
    try:
        text = path.read_text(encoding='utf-8')
    except OSError as e:
        raise ReportError(f'{name}: cannot read it: {e.strerror or e}') from None
    except UnicodeDecodeError:
        raise _refused(name, 1, '', 'not JSON: the file is not UTF-8 text') from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        message = f'not JSON: {e.msg} (column {e.colno})'
        raise _refused(name, e.lineno, '', message) from None
    except (ValueError, RecursionError) as e:  # an enormous number, or nesting too deep
        raise _refused(name, 1, '', f'not JSON: {e}') from None
    if not isinstance(data, dict) or not {'actionspec', 'results'} <= data.keys():
        raise _refused(name, 1, '', 'not a report written by `actionspec run --report FILE.json`')
    found = data.get('schema_version', 1)
    if found != SCHEMA_VERSION:
        newer = isinstance(found, int) and found > SCHEMA_VERSION
        hint = ': written by a newer actionspec, upgrade this one' if newer else ''
        raise _refused(
            name,
            _field_lines(text).get('schema_version', 1),
            'schema_version',
            f'report schema version {found!r}; actionspec {version.VERSION} reads version '
            f'{SCHEMA_VERSION}{hint}',
        )
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise ReportError(str(schemas.schema_error(error, _field_lines(text), name)))
    seen: dict[tuple[str, str], int] = {}
    for n, result in enumerate(data['results']):
        key = (result['target'], result['id'])
        if key in seen:
            field = f'results[{n}]'
            raise _refused(
                name,
                _field_lines(text).get(field, 1),
                field,
                f'{key[1]} on target {key[0]} is already results[{seen[key]}]',
            )
        seen[key] = n
    return data


_SPACE = re.compile(r'[ \t\n\r]*')


def _field_lines(text: str) -> dict[str, int]:
    """The line where each field's value starts, named as `yamldata.field_name` names it,
    for text already known to be JSON (json.loads keeps no positions)."""
    starts = [0] + [m.end() for m in re.finditer('\n', text)]
    decoder = json.JSONDecoder()
    lines: dict[str, int] = {}

    def skip(pos: int) -> int:
        found = _SPACE.match(text, pos)
        return found.end() if found else pos

    def value(pos: int, at: tuple[Any, ...]) -> int:
        pos = skip(pos)
        lines[yamldata.field_name(at)] = bisect.bisect_right(starts, pos)
        opening = text[pos]
        if opening not in '{[':
            return int(decoder.raw_decode(text, pos)[1])
        closing = '}' if opening == '{' else ']'
        pos = skip(pos + 1)
        index = 0
        while text[pos] != closing:
            if opening == '{':
                key, pos = decoder.raw_decode(text, pos)
                pos = value(skip(pos) + 1, (*at, key))  # past the colon
            else:
                pos = value(pos, (*at, index))
                index += 1
            pos = skip(pos)
            if text[pos] == ',':
                pos = skip(pos + 1)
        return pos + 1

    with contextlib.suppress(RecursionError):  # nesting this deep: the lines found will do
        value(0, ())
    return lines


@dataclasses.dataclass(frozen=True)
class Entry:
    """One scenario on one target, as a report recorded it."""

    target: str
    id: str
    outcome: runner.Outcome
    reason: str
    differs_in: tuple[str, ...]  # the expectation fields that did not hold

    @property
    def note(self) -> str:
        """Why the outcome is what it is, in a few words."""
        if self.reason:
            return self.reason
        return 'differs in ' + ', '.join(self.differs_in) if self.differs_in else ''


@dataclasses.dataclass(frozen=True)
class Report:
    """A JSON report read back: what ran, under which Juju, and whether the run finished."""

    path: str
    actionspec: str
    juju_version: str
    complete: bool
    problems: tuple[str, ...]  # scenario files that could not be loaded, one line each
    entries: tuple[Entry, ...]

    @classmethod
    def read(cls, path: pathlib.Path) -> Report:
        """The report at `path`; ReportError if it is not one or cannot be read."""
        data = read(path)
        return cls(
            str(path),
            data['actionspec'],
            data['juju_version'],
            data['complete'],
            tuple(
                str(yamldata.DataError(p['path'], p['line'], p['field'], p['message']))
                for p in data['problems']
            ),
            tuple(
                Entry(
                    r['target'],
                    r['id'],
                    runner.Outcome(r['outcome']),
                    r['reason'],
                    tuple(m['field'] for m in r['mismatches']),
                )
                for r in data['results']
            ),
        )

    @property
    def targets(self) -> list[str]:
        return list(dict.fromkeys(e.target for e in self.entries))

    def totals(self) -> dict[str, dict[str, int]]:
        """Per target, how many scenarios ended each way (as the matrix's `totals`)."""
        return runner.totals(self.entries)
