"""actions.yaml: action names, the params schema Juju builds from it, params checking.

Sources: juju/charm v12 actions.go (`ReadActionsYaml`, `ValidateParams`, `InsertDefaults`),
used by Juju 3.6; juju/gojsonschema (the validator and its message texts); and
juju/juju#21294 for `additionalProperties` defaulting to false in 4.0.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from . import goformat, results, versions

if TYPE_CHECKING:
    import jsonschema

T = TypeVar('T')


@functools.cache
def _go_draft4_validator() -> Any:
    """Draft 4 as gojsonschema checks it: a number without a fractional part counts as an
    integer (params reach it through JSON, as float64); python-jsonschema's does not.

    jsonschema is imported on first use: the charm side of the kit, packed into a charm for
    a unit on another Python (`targets.juju_cli`), never validates params and must import
    without it (its `rpds` dependency is compiled for this Python only)."""
    import jsonschema  # on use: see above

    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft4Validator,
        type_checker=jsonschema.Draft4Validator.TYPE_CHECKER.redefine(
            'integer',
            lambda checker, value: (
                not isinstance(value, bool)
                and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))
            ),
        ),
    )


# Keys Juju refuses inside a params schema (actions.go `prohibitedSchemaKeys`).
_PROHIBITED_SCHEMA_KEYS = ('$ref', '$schema')
_CHECKED_LIMIT = 256  # distinct param sets remembered per action


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

    _validators: dict[bool, jsonschema.protocols.Validator] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )
    # Params already checked, by profile and canonical JSON: validating is a pure function
    # of the two, and the same invocation (often no params at all) comes back many times.
    _checked: dict[tuple[bool, str], dict[str, Any]] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    def validator(self, profile: versions.JujuProfile) -> jsonschema.protocols.Validator:
        """The validator for this action under `profile`, built once and kept."""
        closed = not profile.additional_properties_default
        found = self._validators.get(closed)
        if found is None:
            schema = dict(self.schema)
            schema.setdefault('additionalProperties', not closed)
            found = self._validators[closed] = _go_draft4_validator()(schema)
        return found

    def check_params(
        self, params: Mapping[str, Any], profile: versions.JujuProfile
    ) -> dict[str, Any]:
        """Validate `params`, then return them with the schema's defaults inserted (J7)."""
        try:
            key = (not profile.additional_properties_default, json.dumps(params, sort_keys=True))
        except (TypeError, ValueError):
            return self._check(params, profile)
        checked = self._checked.get(key)
        if checked is None:
            checked = self._check(params, profile)
            if len(self._checked) < _CHECKED_LIMIT:
                self._checked[key] = checked
        return copy_json(checked)

    def _check(self, params: Mapping[str, Any], profile: versions.JujuProfile) -> dict[str, Any]:
        validator = self.validator(profile)
        if not validator.is_valid(params):
            errors = _go_errors(validator.iter_errors(params))
            raise ParamsError('validation failed: ' + '; '.join(errors))
        filled = copy_json(dict(params))
        _insert_defaults(filled, self.schema.get('properties', {}))
        return filled

    def __repr__(self) -> str:
        props = ', '.join(self.schema.get('properties', {}))
        return f'ActionSpec({self.name!r}, params=[{props}])'


def actions_data(source: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """actions.yaml as data, from its text or an already-loaded mapping."""
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
    return {str(name): entry for name, entry in loaded.items()}


def parse_actions_yaml(source: str | Mapping[str, Any] | None) -> dict[str, ActionSpec]:
    """Build the action specs from actions.yaml text or an already-loaded mapping (J8)."""
    return {name: _parse_action(name, entry) for name, entry in actions_data(source).items()}


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
    import jsonschema  # on use: see _go_draft4_validator

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


def copy_json(value: T) -> T:
    """A deep copy of JSON-shaped data, much cheaper than copy.deepcopy."""
    containers = (dict, list)
    if isinstance(value, dict):
        return {  # type: ignore[return-value]
            k: copy_json(v) if isinstance(v, containers) else v for k, v in value.items()
        }
    if isinstance(value, list):
        return [copy_json(v) if isinstance(v, containers) else v for v in value]  # type: ignore[return-value]
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
            into[name] = copy_json(schema['default'])
        elif 'properties' in schema:
            nested: dict[str, Any] = {}
            _insert_defaults(nested, schema['properties'])
            if nested:
                into[name] = nested


# -- gojsonschema's wording --------------------------------------------------------------
# juju/gojsonschema locales.go and validation.go: each error is
# "<context> : <description>, given <json value>"; the object's own checks (required, in
# list order, then additional properties) come before its properties'; a type error ends
# the checks of its node. Go leaves the order among properties to map iteration; here it
# is the schema's.

_ROOT_ORDER = {'required': 0, 'additionalProperties': 1}


def _go_errors(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    found = list(errors)
    typed = {tuple(e.absolute_path) for e in found if e.validator == 'type'}
    kept = [e for e in found if e.validator == 'type' or tuple(e.absolute_path) not in typed]
    kept.sort(key=lambda e: (bool(e.absolute_path), _ROOT_ORDER.get(str(e.validator), 2)))
    return [message for e in kept for message in _go_messages(e)]


def _context(error: jsonschema.ValidationError) -> str:
    return '.'.join(['(root)', *(str(p) for p in error.absolute_path)])


def _go_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_value(v) for v in value]
    return value


def _go_json(value: Any) -> str:
    """Go's json.Marshal: sorted keys, no spaces, HTML-safe escapes."""
    return goformat.json_marshal(_go_value(value))


def _go_number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else format(number, 'g')


def _go_messages(error: jsonschema.ValidationError) -> list[str]:
    """The gojsonschema text(s) for one python-jsonschema error."""
    context = _context(error)
    kind, arg = error.validator, error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    instance: Any = error.instance
    given = _go_json(instance)
    if kind == 'additionalProperties':
        allowed = set(schema.get('properties', {}))
        extra = sorted(k for k in instance if k not in allowed)
        return [
            f'{context} : additional property "{k}" is not allowed, given {given}' for k in extra
        ]
    if kind in ('minimum', 'maximum', 'multipleOf'):
        given = _go_json(_go_number(instance))
    return [f'{context} : {_description(error, kind, arg, schema)}, given {given}']


def _description(error: jsonschema.ValidationError, kind: Any, arg: Any, schema: Any) -> str:
    if kind == 'required':
        return f'"{error.message.split(chr(39))[1]}" property is missing and required'
    if kind == 'type':
        types = arg if isinstance(arg, list) else [arg]
        return f'must be of type {f"[{chr(44).join(types)}]" if len(types) > 1 else types[0]}'
    if kind == 'enum':
        return f'must match one of the enum values [{",".join(_go_json(v) for v in arg)}]'
    if kind == 'minimum':
        # Sic: gojsonschema swaps the exclusive and inclusive wordings.
        exclusive = schema.get('exclusiveMinimum', False)
        return f'must be greater than{" or equal to" if exclusive else ""} {_go_number(arg)}'
    if kind == 'maximum':
        exclusive = schema.get('exclusiveMaximum', False)
        return f'must be lower than{" or equal to" if exclusive else ""} {_go_number(arg)}'
    fixed = {
        'uniqueItems': 'array items must be unique',
        'anyOf': 'must validate at least one schema (anyOf)',
        'oneOf': 'must validate one and only one schema (oneOf)',
        'allOf': 'must validate all the schemas (allOf)',
        'not': 'must not validate the schema (not)',
        'additionalItems': 'no additional item allowed on array',
    }
    if kind in fixed:
        return fixed[str(kind)]
    templates = {
        'minLength': 'string length must be greater or equal to {}',
        'maxLength': 'string length must be lower or equal to {}',
        'pattern': "does not match pattern '{}'",
        'minItems': 'array must have at least {} items',
        'maxItems': 'array must have at the most {} items',
        'minProperties': 'must have at least {} properties',
        'maxProperties': 'must have at the most {} properties',
        'multipleOf': 'must be a multiple of {}',
    }
    if kind in templates:
        shown = _go_number(arg) if kind == 'multipleOf' else arg
        return templates[str(kind)].format(shown)
    if kind == 'dependencies':
        return f'has a dependency on {error.message.split(chr(39))[1]}'
    return error.message
