"""actions.yaml: action names, the params schema Juju builds from it, params checking.

Sources: juju/charm v12 actions.go (`ReadActionsYaml`, `ValidateParams`, `InsertDefaults`),
used by Juju 3.6; juju/gojsonschema (the validator and its message texts); and
juju/juju#21294 for `additionalProperties` defaulting to false in 4.0.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import yaml

from . import results, versions

# Keys Juju refuses inside a params schema (actions.go `prohibitedSchemaKeys`).
_PROHIBITED_SCHEMA_KEYS = ('$ref', '$schema')


class ActionsYamlError(ValueError):
    """actions.yaml is not something Juju would accept."""


class ParamsError(ValueError):
    """Params refused by the action's schema; the text is Juju's."""


@dataclasses.dataclass(frozen=True)
class ActionSpec:
    """One action: its description and the JSON Schema its params must satisfy."""

    name: str
    description: str
    schema: Mapping[str, Any]
    parallel: bool = False
    execution_group: str = ''

    _validators: dict[bool, jsonschema.Draft4Validator] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    def validator(self, profile: versions.JujuProfile) -> jsonschema.Draft4Validator:
        """The validator for this action under `profile`, built once and kept."""
        closed = not profile.additional_properties_default
        found = self._validators.get(closed)
        if found is None:
            schema = dict(self.schema)
            schema.setdefault('additionalProperties', not closed)
            found = self._validators[closed] = jsonschema.Draft4Validator(schema)
        return found

    def check_params(self, params: Mapping[str, Any], profile: versions.JujuProfile) -> dict[str, Any]:
        """Validate `params`, then return them with the schema's defaults inserted (J7)."""
        errors = sorted(self.validator(profile).iter_errors(dict(params)), key=_error_order)
        if errors:
            raise ParamsError('validation failed: ' + '; '.join(_go_message(e) for e in errors))
        filled = copy.deepcopy(dict(params))
        _insert_defaults(filled, self.schema.get('properties', {}))
        return filled

    def __repr__(self) -> str:
        props = ', '.join(self.schema.get('properties', {}))
        return f'ActionSpec({self.name!r}, params=[{props}])'


def parse_actions_yaml(source: str | Mapping[str, Any] | None) -> dict[str, ActionSpec]:
    """Build the action specs from actions.yaml text or an already-loaded mapping (J8)."""
    if source is None:
        return {}
    if isinstance(source, str):
        try:
            loaded = yaml.safe_load(source)
        except yaml.YAMLError as e:
            raise ActionsYamlError(f'actions.yaml: {e}') from None
    else:
        loaded = source
    if loaded is None:
        return {}
    if not isinstance(loaded, Mapping):
        raise ActionsYamlError('actions.yaml must be a mapping of action names to specs')
    return {str(name): _parse_action(str(name), entry) for name, entry in loaded.items()}


def _parse_action(name: str, entry: Any) -> ActionSpec:
    if not results.NAME_RULE.match(name):
        raise ActionsYamlError(f'bad action name {name}')
    if name == 'juju':
        raise ActionsYamlError(f'cannot use action name {name}: "juju" is a reserved name')
    if name.startswith('juju-'):
        raise ActionsYamlError(f'cannot use action name {name}: the "juju-" prefix is reserved')
    if entry is None:
        entry = {}
    if not isinstance(entry, Mapping):
        raise ActionsYamlError(f'action {name!r}: its entry must be a mapping')
    schema: dict[str, Any] = {
        'description': 'No description',
        'type': 'object',
        'title': name,
        'properties': {},
    }
    parallel, group = False, ''
    for key, value in entry.items():
        if key in ('description', 'title', 'execution-group'):
            if not isinstance(value, str):
                raise ActionsYamlError(f'value for schema key "{key}" must be a string')
            if key == 'execution-group':
                group = value
            else:
                schema[key] = value
        elif key == 'required':
            if not isinstance(value, list):
                raise ActionsYamlError(f'value for schema key "{key}" must be a YAML list')
            schema[key] = value
        elif key == 'parallel':
            if not isinstance(value, bool):
                raise ActionsYamlError(f'value for schema key "{key}" must be a bool')
            parallel = value
        elif key == 'params':
            if not isinstance(value, Mapping):
                raise ActionsYamlError('params failed to parse as a map')
            schema['properties'] = _cleanse(value)
        else:
            schema[key] = _cleanse(value)
    try:
        jsonschema.Draft4Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise ActionsYamlError(
            f'invalid params schema for action schema {name}: {e.message}'
        ) from None
    return ActionSpec(name, str(schema['description']), schema, parallel, group)


def _cleanse(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ActionsYamlError('map keyed with non-string value')
            if key in _PROHIBITED_SCHEMA_KEYS:
                raise ActionsYamlError(
                    f'schema key "{key}" not compatible with this version of juju'
                )
            out[key] = _cleanse(item)
        return out
    if isinstance(value, list):
        return [_cleanse(item) for item in value]
    return value


def _insert_defaults(into: dict[str, Any], properties: Mapping[str, Any]) -> None:
    """Fill absent params from `default`, descending into nested objects as Juju does."""
    for name, schema in properties.items():
        if not isinstance(schema, Mapping):
            continue
        if name in into:
            if isinstance(into[name], dict):
                _insert_defaults(into[name], schema.get('properties', {}))
            continue
        if 'default' in schema:
            into[name] = copy.deepcopy(schema['default'])
        elif 'properties' in schema:
            nested: dict[str, Any] = {}
            _insert_defaults(nested, schema['properties'])
            if nested:
                into[name] = nested


# -- gojsonschema's wording --------------------------------------------------------------

_RESULT_FORMAT = '{context} : {description}, given {value}'


def _context(error: jsonschema.ValidationError) -> str:
    return '.'.join(['(root)', *(str(p) for p in error.absolute_path)])


def _error_order(error: jsonschema.ValidationError) -> tuple[str, str]:
    return (_context(error), error.validator or '')


def _go_json(value: Any) -> str:
    """Go's json.Marshal: sorted keys, no spaces, HTML-safe escapes."""
    text = json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')


def _go_number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else format(number, 'g')


def _go_message(error: jsonschema.ValidationError) -> str:
    """One error as gojsonschema's `ResultError.String()` writes it."""
    kind, arg, schema = error.validator, error.validator_value, error.schema
    instance = error.instance
    description: str
    if kind == 'required':
        missing = error.message.split("'")[1]
        description = f'"{missing}" property is missing and required'
    elif kind == 'type':
        types = arg if isinstance(arg, list) else [arg]
        shown = f'[{",".join(types)}]' if len(types) > 1 else types[0]
        description = f'must be of type {shown}'
    elif kind == 'additionalProperties':
        allowed = set(schema.get('properties', {}))
        extra = sorted(k for k in instance if k not in allowed)
        description = '; '.join(f'additional property "{k}" is not allowed' for k in extra)
    elif kind == 'enum':
        description = 'must match one of the enum values [{}]'.format(
            ','.join(_go_json(v) for v in arg)
        )
    elif kind in ('minimum', 'maximum'):
        exclusive = schema.get(f'exclusive{kind.capitalize()}', False)
        word = 'greater' if kind == 'minimum' else 'lower'
        description = (
            f'must be {word} than {_go_number(arg)}'
            if exclusive
            else f'must be {word} than or equal to {_go_number(arg)}'
        )
        instance = _go_number(instance)
        return _RESULT_FORMAT.format(context=_context(error), description=description, value=instance)
    elif kind == 'minLength':
        description = f'string length must be greater or equal to {arg}'
    elif kind == 'maxLength':
        description = f'string length must be lower or equal to {arg}'
    elif kind == 'pattern':
        description = f"does not match pattern '{arg}'"
    elif kind == 'minItems':
        description = f'array must have at least {arg} items'
    elif kind == 'maxItems':
        description = f'array must have at the most {arg} items'
    elif kind == 'uniqueItems':
        description = 'array items must be unique'
    elif kind == 'multipleOf':
        description = f'must be a multiple of {_go_number(arg)}'
    elif kind == 'minProperties':
        description = f'must have at least {arg} properties'
    elif kind == 'maxProperties':
        description = f'must have at the most {arg} properties'
    elif kind == 'anyOf':
        description = 'must validate at least one schema (anyOf)'
    elif kind == 'oneOf':
        description = 'must validate one and only one schema (oneOf)'
    elif kind == 'allOf':
        description = 'must validate all the schemas (allOf)'
    elif kind == 'not':
        description = 'must not validate the schema (not)'
    elif kind == 'dependencies':
        description = f'has a dependency on {error.message.split(chr(39))[1]}'
    else:
        description = error.message
    return _RESULT_FORMAT.format(
        context=_context(error), description=description, value=_go_json(instance)
    )
