"""Scenarios and observations as JSON, for a target that runs them in another process
(another interpreter, with another release of the implementation installed).

The suite's vocabulary is frozen dataclasses, named tuples, tuples, enums and plain data;
JSON has objects, lists and scalars. So a dataclass or a named tuple travels as its type's
name and its fields, a tuple and a mapping each under a tag of their own, and decoding
gives back an equal value of the same types. Only the kit's own types are decoded: a
message cannot name any other.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
from typing import Any

_TYPE, _FIELDS, _TUPLE, _MAP, _ENUM = '$type', 'fields', '$tuple', '$map', '$enum'
_PACKAGE = __name__.split('.')[0]


class CodecError(ValueError):
    """A message that does not decode to the kit's vocabulary."""


def encode(value: Any) -> Any:
    """`value` as JSON-ready data that `decode` turns back into an equal value."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return {_ENUM: _name(type(value)), 'value': value.value}
    if isinstance(value, str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {_TYPE: _name(type(value)), _FIELDS: fields}
    if isinstance(value, tuple) and _is_named_tuple(type(value)):
        named: Any = value
        fields = {name: encode(v) for name, v in named._asdict().items()}
        return {_TYPE: _name(type(value)), _FIELDS: fields}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {_MAP: [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f'cannot encode a {type(value).__name__}')


def decode(data: Any) -> Any:
    """The value `encode` made `data` from."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if _TUPLE in data:
        return tuple(decode(v) for v in data[_TUPLE])
    if _MAP in data:
        return {_hashable(decode(k)): decode(v) for k, v in data[_MAP]}
    if _ENUM in data:
        return _kit_type(data[_ENUM])(data['value'])
    if _TYPE in data:
        cls = _kit_type(data[_TYPE])
        if not (dataclasses.is_dataclass(cls) or _is_named_tuple(cls)):
            raise CodecError(f'{data[_TYPE]} is neither a dataclass nor a named tuple')
        return cls(**{name: decode(v) for name, v in data[_FIELDS].items()})
    raise CodecError(f'an untagged object: {sorted(data)}')


def dumps(value: Any) -> str:
    """One line of JSON: `value` encoded."""
    return json.dumps(encode(value), separators=(',', ':'), ensure_ascii=False)


def loads(line: str | bytes) -> Any:
    return decode(json.loads(line))


def _is_named_tuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, '_fields')


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _name(cls: type) -> str:
    return f'{cls.__module__}:{cls.__qualname__}'


def _kit_type(name: str) -> Any:
    module_name, _, qualname = name.partition(':')
    if module_name.split('.')[0] != _PACKAGE:
        raise CodecError(f'{name}: not one of the kit types')
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split('.'):
            found = getattr(found, part)
    except (ImportError, AttributeError) as e:
        raise CodecError(f'{name}: {e}') from None
    if not isinstance(found, type):
        raise CodecError(f'{name}: not a type')
    return found
