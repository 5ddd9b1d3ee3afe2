"""Turn an executed notebook into a Markdown page for MkDocs.

Markdown cells pass through; code cells become Python blocks; outputs keep their richest
form: Markdown as is (tables, mermaid diagrams, admonitions), HTML as raw HTML, text in
fenced blocks with terminal escapes removed, errors as a failure admonition. A cell
tagged `hide-input` shows only its outputs; one tagged `hide` shows nothing.
"""

from __future__ import annotations

import re
from typing import Any

import nbformat

from ..reports import markdown

# CSI and OSC sequences and lone control characters: what a terminal would act on.
_TERMINAL_ESCAPES = re.compile(r'\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b')
_CONTROL = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')


def plain(text: str) -> str:
    """Text with terminal escape sequences and control characters removed."""
    return _CONTROL.sub('', _TERMINAL_ESCAPES.sub('', text))


def _text(value: Any) -> str:
    return ''.join(value) if isinstance(value, list) else str(value)


def _indent(text: str) -> str:
    return ''.join(f'    {line}' if line.strip() else line for line in text.splitlines(True))


def _output(output: nbformat.NotebookNode) -> str:
    kind = output.output_type
    if kind == 'stream':
        return markdown.fenced(plain(_text(output.text)))
    if kind == 'error':
        message = plain(f'{output.ename}: {output.evalue}')
        return f'!!! failure "Raises {output.ename}"\n\n' + _indent(markdown.fenced(message))
    data = output.get('data', {})
    if 'text/markdown' in data:
        return _text(data['text/markdown']).rstrip('\n') + '\n'
    if 'text/html' in data:
        return '<div class="nb-output" markdown="0">\n' + _text(data['text/html']) + '\n</div>\n'
    if 'image/svg+xml' in data:
        return _text(data['image/svg+xml']) + '\n'
    if 'image/png' in data:
        return f'<img alt="output" src="data:image/png;base64,{_text(data["image/png"])}">\n'
    if 'text/plain' in data:
        return markdown.fenced(plain(_text(data['text/plain'])))
    return ''


def to_markdown(nb: nbformat.NotebookNode, *, source: str, download: str = '') -> str:
    """The page for `nb`; `source` names the notebook file in the repository."""
    parts: list[str] = []
    for number, cell in enumerate(nb.cells):
        tags = cell.metadata.get('tags', [])
        if 'hide' in tags:
            continue
        if cell.cell_type == 'markdown':
            parts.append(_text(cell.source).strip('\n') + '\n')
            if number == 0:
                parts.append(_origin(source, download))
            continue
        if cell.cell_type != 'code':
            continue
        if 'hide-input' not in tags and _text(cell.source).strip():
            parts.append(markdown.fenced(_text(cell.source), 'python'))
        parts.extend(_output(o) for o in cell.get('outputs', []))
    return '\n'.join(p for p in parts if p)


def _origin(source: str, download: str) -> str:
    link = f'[{source}]({download})' if download else f'`{source}`'
    return (
        f'!!! note "An executed notebook"\n\n    This page is {link}, run from top to bottom '
        'when the site was built, with actionspec playing Juju. Open it in Jupyter to change '
        'the charm and run it again; `actionspec docs` re-executes every notebook and '
        'rebuilds the site.\n'
    )
