"""Action results as Juju keeps them: `action-set` keys, deep merge, captured output.

Sources (juju/juju 3.6): worker/uniter/runner/jujuc/action-set.go (argument and key rules),
worker/uniter/runner/context/action.go (`addValueToMap`, the merge), and
worker/uniter/runner/runner.go (`updateActionResults`, the captured output).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from . import versions

# juju/charm actions.go `GetActionNameRule`: the same rule names actions (J8) and result
# key segments (J1).
NAME_RULE = re.compile(r'^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$')
# A whole dotted key whose every segment follows NAME_RULE: the common case, checked at once.
_DOTTED_KEY = re.compile(
    r'^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$'
)

Results = dict[str, Any]
KeyPath = tuple[str, ...]


class ActionSetError(ValueError):
    """`action-set` refused its arguments: nothing from that call was stored."""


def parse_action_set_args(
    args: Iterable[str], profile: versions.JujuProfile
) -> list[tuple[KeyPath, str]]:
    """Split `key.path=value` arguments, checking every one before any is stored (J1)."""
    parsed: list[tuple[KeyPath, str]] = []
    for arg in args:
        key, sep, value = arg.partition('=')
        if not sep:
            raise ActionSetError(f'argument {go_quote(arg)} must be of the form key...=value')
        segments = tuple(key.split('.'))
        if not _DOTTED_KEY.match(key) or not profile.reserved_result_keys.isdisjoint(segments):
            _refuse_key(segments, profile)
        parsed.append((segments, value))
    return parsed


def _refuse_key(segments: KeyPath, profile: versions.JujuProfile) -> None:
    """Raise Juju's error for the first bad segment, checked in Juju's order."""
    for segment in segments:
        if not NAME_RULE.match(segment):
            raise ActionSetError(
                f'key {go_quote(segment)} must start and end with lowercase alphanumeric, '
                'and contain only lowercase alphanumeric, hyphens and periods'
            )
        if segment in profile.reserved_result_keys:
            raise ActionSetError(f'cannot set reserved action key "{segment}"')


def merge(results: MutableMapping[str, Any], path: KeyPath, value: Any) -> None:
    """Store `value` at `path`, keeping sibling keys (J2).

    A scalar standing where a map is needed is replaced by a map; the last write of a
    path wins.
    """
    node = results
    for segment in path[:-1]:
        child = node.get(segment)
        if not isinstance(child, dict):
            child = {}
            node[segment] = child
        node = child
    node[path[-1]] = value


def add_captured_output(
    results: MutableMapping[str, Any],
    stdout: bytes,
    stderr: bytes,
    return_code: int,
    profile: versions.JujuProfile,
) -> None:
    """Record the process's output as the uniter does after an action (J6).

    The return code is always stored (a number in 3.x, a string in 2.9); output only when
    there is some; output that is not UTF-8 is stored base64-encoded with an encoding key
    beside it.
    """
    code: int | str = str(return_code) if profile.return_code_is_string else return_code
    merge(results, (profile.return_code_key,), code)
    for key, data in ((profile.stdout_key, stdout), (profile.stderr_key, stderr)):
        text, encoding = _encode(_as_logged(data))
        if text:
            merge(results, (key,), text)
        if encoding != 'utf8':
            merge(results, (key + profile.encoding_suffix,), encoding)


# Every version's key, 2.9's `Code` first (see below).
_RETURN_CODE_KEYS = tuple(
    sorted({p.return_code_key for p in versions.PROFILES.values()}, key=lambda k: k != 'Code')
)


def captured_return_code(results: Mapping[str, Any]) -> int | None:
    """The process's exit status as stored in the results (`return-code`, or 2.9's `Code`);
    None when there is none, or it is not a number.

    `Code` is looked at first: under 2.9 a charm may set a key of its own called
    `return-code` (nothing is reserved there), while no charm can set `Code` under 3.x
    (capitals break the key rule)."""
    for key in _RETURN_CODE_KEYS:
        if key in results:
            try:
                return int(str(results[key]))
            except ValueError:
                return None
    return None


def flatten(results: Mapping[str, Any], parent: str = '') -> dict[str, Any]:
    """Dotted keys for a nested results map (what a charm would pass to `action-set`)."""
    flat: dict[str, Any] = {}
    for key, value in results.items():
        full = f'{parent}.{key}' if parent else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, full))
        else:
            flat[full] = value
    return flat


def _as_logged(data: bytes) -> bytes:
    """Output as the uniter's output logger passes it on: line by line, each line ending
    in `\n`, so `\r\n` becomes `\n` and a last line without one gains it
    (worker/common/charmrunner/logger.go: bufio `ReadLine`, then a newline per line)."""
    if not data:
        return data
    lines = data.split(b'\n')
    if not lines[-1]:
        lines.pop()
    return b''.join(line.removesuffix(b'\r') + b'\n' for line in lines)


def _encode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode('utf-8'), 'utf8'
    except UnicodeDecodeError:
        return base64.b64encode(data).decode('ascii'), 'base64'


def go_quote(text: str) -> str:
    """Go's `%q`: a double-quoted string with Go escapes, as Juju's messages print it."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append('\\' + char)
        elif char == '\n':
            out.append('\\n')
        elif char == '\t':
            out.append('\\t')
        elif char == '\r':
            out.append('\\r')
        elif code < 0x20 or code == 0x7F:
            out.append(f'\\x{code:02x}')
        else:
            out.append(char)
    out.append('"')
    return ''.join(out)
