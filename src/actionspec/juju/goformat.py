"""Text as Juju's Go code writes it: yaml.v2, encoding/json and time.Time.String().

The juju CLI marshals its output with gopkg.in/yaml.v2 (replaced by juju/yaml v2) and
encoding/json. yaml.v2's emitter is a port of libyaml, as PyYAML's is, so PyYAML's emitter
gives the same layout (block style, indentless sequences, folding at 80 columns, the same
fallback from plain to single- to double-quoted scalars) once it is asked for the styles
yaml.v2's encoder asks for; this module makes those requests and sorts keys yaml.v2's way.
"""

from __future__ import annotations

import datetime
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml

# -- yaml.v2 (juju/yaml v2.0.0: encode.go stringv, resolve.go, sorter.go) ------------------

_BOOL_OR_NULL = frozenset(
    [
        'y',
        'Y',
        'yes',
        'Yes',
        'YES',
        'true',
        'True',
        'TRUE',
        'on',
        'On',
        'ON',
        'n',
        'N',
        'no',
        'No',
        'NO',
        'false',
        'False',
        'FALSE',
        'off',
        'Off',
        'OFF',
        '~',
        'null',
        'Null',
        'NULL',
        '.nan',
        '.NaN',
        '.NAN',
        '.inf',
        '.Inf',
        '.INF',
        '+.inf',
        '+.Inf',
        '+.INF',
        '-.inf',
        '-.Inf',
        '-.INF',
        '<<',
    ]
)
_YAML_FLOAT = re.compile(r'^[-+]?(0|[1-9][0-9]*)?(\.[0-9]+)?([eE][-+][0-9]+)?$')
_BASE60_FLOAT = re.compile(r'^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$')
_TIMESTAMP = re.compile(
    r'^(\d{4})-(\d{1,2})-(\d{1,2})'
    r'(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})'
    r'| \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$'
)
_GO_INT = re.compile(r'^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]*|0[bB][01]+|[1-9][0-9]*)$')


def _resolves_to_non_string(text: str) -> bool:
    """Would yaml.v2 read this plain scalar back as something other than a string?"""
    if text == '' or text in _BOOL_OR_NULL:
        return True
    first = text[0]
    if first == '.':
        return _parses_as_float(text)
    if first in '+-0123456789':
        stamp = _TIMESTAMP.match(text)
        if stamp and 1 <= int(stamp[2]) <= 12 and 1 <= int(stamp[3]) <= 31:
            return True
        plain = text.replace('_', '')
        if _GO_INT.match(plain):
            return True
        return bool(_YAML_FLOAT.match(plain)) and _parses_as_float(plain)
    return False


def _parses_as_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower().lstrip('+-') not in ('inf', 'infinity', 'nan')


def _needs_quotes(text: str) -> bool:
    return _resolves_to_non_string(text) or bool(_BASE60_FLOAT.match(text))


def _go_key_less(a: str, b: str) -> bool:
    """yaml.v2's key order: letters by code point, digit runs by numeric value."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return ca < cb
        if la or lb:
            return lb
        an = bn = 0
        if ca == '0' or cb == '0':
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != '0':
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


class _GoKey:
    __slots__ = ('text',)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _GoKey) -> bool:
        return _go_key_less(self.text, other.text)


def sorted_keys(mapping: Mapping[str, Any]) -> list[str]:
    return sorted(mapping, key=_GoKey)


# Characters libyaml-in-Go does not count as printable but PyYAML (with allow_unicode)
# does: NEL and everything beyond the Basic Multilingual Plane (yaml.v2 emitterc.go
# `is_printable`). They make yaml.v2 fall back to a double-quoted scalar, escaped.
_GO_UNPRINTABLE = re.compile('[\x85\U00010000-\U0010ffff]')


def _scalar(text: str) -> yaml.ScalarEvent:
    if _GO_UNPRINTABLE.search(text):
        style: str | None = '"'
    elif '\n' in text:
        style = '|'
    elif _needs_quotes(text):
        style = '"'
    else:
        style = None
    return yaml.ScalarEvent(None, None, (True, True), text, style=style)


def _go_float(value: float) -> str:
    if math.isnan(value):
        return '.nan'
    if math.isinf(value):
        return '.inf' if value > 0 else '-.inf'
    return repr(value) if not value.is_integer() else str(int(value))


class Struct(dict[str, Any]):
    """A Go struct: yaml.v2 and encoding/json write its fields in the order declared,
    not sorted as a map's keys are. Build it with the fields in that order, leaving out
    those `omitempty` drops."""


def _ordered_keys(value: Mapping[Any, Any]) -> list[str]:
    if isinstance(value, Struct):
        return list(value)
    return sorted_keys({str(k): None for k in value})


def _events(value: Any) -> Iterator[yaml.Event]:
    if isinstance(value, Mapping):
        yield yaml.MappingStartEvent(None, None, True, flow_style=False)
        for key in _ordered_keys(value):
            yield _scalar(key)
            yield from _events(value[key])
        yield yaml.MappingEndEvent()
    elif isinstance(value, Sequence) and not isinstance(value, str):
        yield yaml.SequenceStartEvent(None, None, True, flow_style=False)
        for item in value:
            yield from _events(item)
        yield yaml.SequenceEndEvent()
    elif isinstance(value, str):
        yield _scalar(value)
    elif value is None:
        yield yaml.ScalarEvent(None, None, (True, True), 'null')
    elif isinstance(value, bool):
        yield yaml.ScalarEvent(None, None, (True, True), 'true' if value else 'false')
    elif isinstance(value, int):
        yield yaml.ScalarEvent(None, None, (True, True), str(value))
    elif isinstance(value, float):
        yield yaml.ScalarEvent(None, None, (True, True), _go_float(value))
    else:
        yield _scalar(str(value))


# Short scalars of these characters need no folding, escaping or block style: a mapping
# of only such scalars (and of such mappings) is written directly, as yaml.v2 lays it
# out, rather than through the emitter; anything else goes through the emitter.
_SIMPLE = re.compile(r'^[A-Za-z0-9_/][A-Za-z0-9_./-]{0,39}$')


def _simple_scalar(value: Any) -> str | None:
    """The scalar as yaml.v2 writes it, if it is simple enough to write here."""
    if isinstance(value, str):
        if not _SIMPLE.match(value):
            return None
        return f'"{value}"' if _needs_quotes(value) else value
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    return None


def _simple_mapping(value: Mapping[Any, Any], indent: str, out: list[str]) -> bool:
    """Append `value`'s block mapping to `out`; False if it is not simple."""
    for key in _ordered_keys(value):
        shown = _simple_scalar(key)
        if shown is None:
            return False
        item = value[key]
        if isinstance(item, Mapping):
            if not item:
                out.append(f'{indent}{shown}: {{}}\n')
                continue
            out.append(f'{indent}{shown}:\n')
            if not _simple_mapping(item, indent + '  ', out):
                return False
            continue
        text = _simple_scalar(item)
        if text is None:
            return False
        out.append(f'{indent}{shown}: {text}\n')
    return True


def yaml_v2(value: Any) -> str:
    """`yaml.Marshal(value)` as Juju's yaml.v2 writes it."""
    if isinstance(value, Mapping) and value:
        lines: list[str] = []
        if _simple_mapping(value, '', lines):
            return ''.join(lines)
    events = [
        yaml.StreamStartEvent(),
        yaml.DocumentStartEvent(explicit=False),
        *_events(value),
        yaml.DocumentEndEvent(explicit=False),
        yaml.StreamEndEvent(),
    ]
    text: str = yaml.emit(events, allow_unicode=True, width=80, indent=2)
    return text[:-4] if text.endswith('\n...\n') else text


# -- strconv ------------------------------------------------------------------------------

# strconv.ParseBool's spellings: what Go reads as a boolean (flags, charm config).
_GO_BOOLS = {
    **dict.fromkeys(('1', 't', 'T', 'true', 'TRUE', 'True'), True),
    **dict.fromkeys(('0', 'f', 'F', 'false', 'FALSE', 'False'), False),
}


def parse_bool(text: str) -> bool:
    """`strconv.ParseBool`; ValueError with Go's words for anything else."""
    try:
        return _GO_BOOLS[text]
    except KeyError:
        raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax') from None


# -- encoding/json ------------------------------------------------------------------------

_JSON_ESCAPES = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t'}


_JSON_SPECIAL = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029]')


def _json_string(text: str) -> str:
    if not _JSON_SPECIAL.search(text):
        return f'"{text}"'
    out = ['"']
    for char in text:
        if char in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[char])
        elif char < ' ' or char in '<>&\u2028\u2029':
            out.append(f'\\u{ord(char):04x}')
        else:
            out.append(char)
    out.append('"')
    return ''.join(out)


def quoted_list(words: Sequence[str]) -> str:
    """Go's `%q` of a []string: `["a" "b"]`."""
    return '[' + ' '.join(json_marshal(w) for w in words) + ']'


def json_marshal(value: Any) -> str:
    """`json.Marshal(value)`: compact, map keys sorted, HTML characters escaped."""
    if isinstance(value, str):  # the commonest, and the cheapest test
        return _json_string(value)
    if isinstance(value, Mapping):
        keys = list(value) if isinstance(value, Struct) else sorted(value)
        items = (f'{_json_string(str(k))}:{json_marshal(value[k])}' for k in keys)
        return '{' + ','.join(items) + '}'
    if isinstance(value, Sequence) and not isinstance(value, str):
        return '[' + ','.join(json_marshal(v) for v in value) + ']'
    if isinstance(value, str):
        return _json_string(value)
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return _json_string(str(value))


# -- time.Time.String() -------------------------------------------------------------------


# Machines and containers often keep their clocks in UTC, where Go's Local is UTC too
# and a local time needs no conversion.
_LOCAL_IS_UTC = time.timezone == 0 and time.altzone == 0 and time.tzname[0] == 'UTC'


def time_string(moment: datetime.datetime, *, local: bool = False) -> str:
    """Go's `time.Time.String()`: `2025-01-01 00:00:00 +0000 UTC`, or with `local` the
    machine's wall time, offset and zone name (`2025-01-01 01:00:00 +0100 CET`)."""
    if local and not _LOCAL_IS_UTC:
        moment = moment.astimezone()
        zone = f'{moment.strftime("%z")} {moment.tzname()}'
    else:
        moment = moment.astimezone(datetime.timezone.utc)
        zone = '+0000 UTC'
    text = (
        f'{moment.year:04d}-{moment.month:02d}-{moment.day:02d} '
        f'{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}'
    )
    if moment.microsecond:
        text += f'.{moment.microsecond:06d}'.rstrip('0')
    return f'{text} {zone}'
