"""Command-line flags as the juju client parses them (github.com/juju/gnuflag).

Juju's commands allow flags anywhere among the arguments (`CommandBase.AllowInterspersedFlags`);
`--` ends the flags; a long flag takes its value as `--name=value` or as the next word,
except a boolean, which never takes the next word; a single dash groups one-letter flags.
Errors read as gnuflag writes them, with the word the command uses for a flag: the `juju`
client's "option" (jujucmd `FlagKnownAs`), the hook tools' "flag".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..juju import goformat


class FlagError(ValueError):
    """The arguments do not parse; the text is gnuflag's (the command exits 2)."""


class HelpRequested(Exception):  # noqa: N818 - a request, not an error
    """`-h` or `--help` was given: print the command's help and exit 0."""


_DURATION_PART = re.compile(r'(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)')
_UNIT_SECONDS = {
    'ns': 1e-9,
    'us': 1e-6,
    'µs': 1e-6,
    'μs': 1e-6,
    'ms': 1e-3,
    's': 1.0,
    'm': 60.0,
    'h': 3600.0,
}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (`time.ParseDuration`: `90s`, `1h30m`, `-1s`, `0`)."""
    body = text
    sign = 1.0
    if body[:1] in '+-':
        sign = -1.0 if body[0] == '-' else 1.0
        body = body[1:]
    if body == '0':
        return 0.0
    seconds = 0.0
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if not match:
            break
        seconds += float(match[1]) * _UNIT_SECONDS[match[2]]
        position = match.end()
    if not body or position != len(body):
        if body and all(c.isdigit() or c == '.' for c in body):
            raise ValueError(f'time: missing unit in duration "{text}"')
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * seconds


def format_duration(seconds: float) -> str:
    """A duration as Go prints it (`time.Duration.String`): `1m0s`, `-1s`, `0s`."""
    if seconds == 0:
        return '0s'
    sign = '-' if seconds < 0 else ''
    total = abs(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = f'{secs:g}s'
    if hours or minutes:
        text = f'{int(minutes)}m{text}'
    if hours:
        text = f'{int(hours)}h{text}'
    return sign + text


@dataclasses.dataclass(frozen=True)
class Flag:
    """One flag: its names (long first), its kind, default and help text."""

    names: tuple[str, ...]
    # 'bool', 'string', 'duration', 'uint', 'strings' (comma separated), 'append' (may be
    # given again, each value added: juju/cmd `AppendStringsValue`, `--config k=v`),
    # 'choice' (one of `choices`, as `--format`), 'file' (a path, read when the command
    # runs), 'wait' (2.9's `--wait[=duration]`)
    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    # How an unknown choice is refused (juju/cmd `Output`: `unknown format "xml"`).
    refuse: Callable[[str], str] | None = None

    @property
    def key(self) -> str:
        return self.names[0]

    def value(self, text: str, shown: str, known_as: str = 'option') -> Any:
        """The flag's value from `text`, or FlagError with gnuflag's wording."""
        try:
            return self._convert(text)
        except ValueError as e:
            raise FlagError(f'invalid value "{text}" for {known_as} {shown}: {e}') from None

    def _convert(self, text: str) -> Any:
        if self.kind == 'bool':
            return goformat.parse_bool(text)
        if self.kind in ('duration', 'wait'):
            return parse_duration(text)
        if self.kind == 'uint':
            if not text.isdigit():
                raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
            return int(text)
        if self.kind == 'strings':
            return text.split(',')
        if self.kind == 'append':
            return (text,)
        if self.choices and text not in self.choices:
            raise ValueError(self.refuse(text) if self.refuse else f'unknown value "{text}"')
        return text


def parse(
    flags: Sequence[Flag], argv: Sequence[str], *, known_as: str = 'option'
) -> tuple[dict[str, Any], list[str]]:
    """The flags' values (by their first name) and the positional arguments, in order.
    `known_as` is the command's word for a flag in its errors."""
    by_name = {name: flag for flag in flags for name in flag.names}
    values: dict[str, Any] = {flag.key: flag.default for flag in flags}
    positional: list[str] = []
    words = list(argv)
    while words:
        word = words.pop(0)
        if word == '--':
            positional.extend(words)
            break
        if len(word) < 2 or word[0] != '-':
            positional.append(word)
            continue
        if word.startswith('--'):
            name, has_value, text = word[2:].partition('=')
            if not name:
                raise FlagError(f'empty {known_as} in argument "{word}"')
            flag = _defined(by_name, name, known_as)
            value = _long(flag, f'--{name}', bool(has_value), text, words, known_as)
            _store(values, flag, value)
            continue
        letters = word[1:]
        for n, letter in enumerate(letters):
            rest = letters[n + 1 :]
            flag = _defined(by_name, letter, known_as)
            # A letter's value follows it at once, `=` included: `-madmin`, `-b=false`.
            if rest and (flag.kind != 'bool' or rest[0] == '='):
                _store(values, flag, flag.value(rest, f'-{letter}', known_as))
                break
            _store(values, flag, _long(flag, f'-{letter}', False, '', words, known_as))
    return values, positional


def _store(values: dict[str, Any], flag: Flag, value: Any) -> None:
    """A flag given again replaces its value, except one that appends."""
    values[flag.key] = (*values[flag.key], *value) if flag.kind == 'append' else value


def _defined(by_name: Mapping[str, Flag], name: str, known_as: str) -> Flag:
    flag = by_name.get(name)
    if flag is None:
        if name in ('h', 'help'):  # not a flag of the command: a request for its help
            raise HelpRequested
        shown = f'-{name}' if len(name) == 1 else f'--{name}'
        raise FlagError(f'{known_as} provided but not defined: {shown}')
    return flag


def _long(
    flag: Flag, shown: str, has_value: bool, text: str, words: list[str], known_as: str
) -> Any:
    """A flag's value: given after `=`, implied (a bool), or the next word."""
    if flag.kind == 'bool':
        return flag.value(text, shown, known_as) if has_value else True
    if flag.kind == 'wait':  # 2.9's --wait: alone it waits forever, and takes no word
        return flag.value(text, shown, known_as) if has_value else 'forever'
    if not has_value:
        if not words:
            raise FlagError(f'{known_as} needs an argument: {shown}')
        text = words.pop(0)
    return flag.value(text, shown, known_as)


def defaults_text(flags: Sequence[Flag]) -> str:
    """The flags as gnuflag's PrintDefaults lists them: names, default, help, sorted."""
    lines = []
    for flag in sorted(flags, key=lambda f: max(f.names, key=len)):
        names = ', '.join(('-' if len(n) == 1 else '--') + n for n in sorted(flag.names, key=len))
        # gnuflag quotes a plain string's default, one space off; any other value's
        # String() stands two spaces off.
        if flag.kind == 'string':
            lines.append(f'{names} (= "{flag.default}")')
        else:
            lines.append(f'{names}  (= {_default_text(flag)})')
        lines.append(f'    {flag.help}')
    return '\n'.join(lines)


def _default_text(flag: Flag) -> str:
    if flag.kind == 'bool':
        return 'true' if flag.default else 'false'
    if flag.kind == 'duration':
        return format_duration(flag.default)
    if flag.kind == 'wait':
        return 'false'
    if flag.kind in ('strings', 'append'):
        return ','.join(flag.default or ())
    return str(flag.default)
