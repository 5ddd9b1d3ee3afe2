"""MkDocs hooks (see mkdocs.yml): the generated pages join the hand-written ones.

Nothing generated is written into `docs/`: the notebook pages, the catalogue, the
matrix and its badges, the CLI reference and mermaid.js are handed to MkDocs in memory, so
a plain `mkdocs build --strict` on a fresh clone builds the whole site.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from actionspec import cli, yamldata
from actionspec.reports import history, json_report
from actionspec.reports import matrix as matrix_
from actionspec.site import convert, mermaid_js, notebooks, pages
from actionspec.suite import rules

MATRIX = 'assets/conformance-matrix.json'
BENCH = 'assets/bench.json'
# JSON reports shown in the matrix beside the targets run here: a run through the box's
# `juju`, or a real controller's (`actionspec run --target juju --report FILE.json`).
REPORTS = 'assets/reports'
HISTORY = 'assets/release-history.json'
HISTORY_NOTES = 'assets/release-changes.yaml'
_state: dict[str, Any] = {}


def _root(config: MkDocsConfig) -> pathlib.Path:
    return pathlib.Path(config.config_file_path).resolve().parent


def _dropped_in_reports(directory: pathlib.Path) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(directory.glob('*.json')):
        try:
            found.append((path.stem, json_report.read(path)))
        except json_report.ReportError as e:
            raise PluginError(str(e)) from None
    return found


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    matrix_file = files.get_file_from_path(MATRIX)
    if matrix_file is None:
        raise PluginError(f'docs/{MATRIX} is missing: run `actionspec docs` to make it')
    matrix = json.loads(pathlib.Path(matrix_file.abs_src_path or '').read_text(encoding='utf-8'))
    matrix = matrix_.with_reports(matrix, _dropped_in_reports(root / 'docs' / REPORTS))
    _state['matrix'] = matrix

    def add(uri: str, content: str | bytes) -> None:
        files.append(File.generated(config, uri, content=content))

    try:
        add('assets/javascripts/mermaid.min.js', mermaid_js.script())
    except mermaid_js.MermaidUnavailableError as e:
        raise PluginError(str(e)) from None
    for path in notebooks.notebook_paths(root / 'notebooks'):
        nb = notebooks.read(path)
        uri = f'notebooks/{path.stem}.md'
        source = path.relative_to(root).as_posix()
        add(uri, convert.to_markdown(nb, source=source, download=f'{path.stem}.ipynb'))
        add(f'notebooks/{path.stem}.ipynb', path.read_bytes())
    for uri, text in pages.catalogue(pages.load_suite(), matrix).items():
        add(uri, text)
    add('matrix.md', pages.matrix_page(matrix))
    for stem, badge in pages.target_badges(matrix).items():
        for suffix, text in badge.files().items():
            add(f'{pages.BADGES}/{stem}{suffix}', text)
    add('cli.md', pages.cli_page(cli.parser()))
    bench_file = files.get_file_from_path(BENCH)
    bench = None
    if bench_file is not None:
        bench = json.loads(pathlib.Path(bench_file.abs_src_path or '').read_text('utf-8'))
    add('performance.md', pages.performance_page(bench))
    add('history.md', _history_page(files))
    return files


def _history_page(files: Files) -> str:
    history_file = files.get_file_from_path(HISTORY)
    notes_file = files.get_file_from_path(HISTORY_NOTES)
    data = None
    if history_file is not None:
        data = json.loads(pathlib.Path(history_file.abs_src_path or '').read_text('utf-8'))
    try:
        notes = []
        if notes_file is not None:
            path = pathlib.Path(notes_file.abs_src_path or '')
            notes = history.load_notes(path.read_text(encoding='utf-8'), str(path))
        return pages.history_page(data, notes)
    except (yamldata.DataError, pages.HistoryNotesError) as e:
        raise PluginError(str(e)) from None


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    try:
        markdown = pages.expand_rules(markdown, page.file.src_uri, rules.bundled())
        return pages.expand_claims(markdown, page.file.src_uri, _state['matrix'])
    except (pages.UnknownScenarioError, pages.UnknownRuleError) as e:
        raise PluginError(str(e)) from None
