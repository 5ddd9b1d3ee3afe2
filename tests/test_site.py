"""The documentation site: notebooks, converter, generated pages, strict build, browser."""

from __future__ import annotations

import difflib
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys

import nbformat
import pytest

from actionspec import cli
from actionspec.reports import markdown
from actionspec.reports import matrix as matrix_
from actionspec.site import build, convert, mkdocs_hooks, notebooks, pages
from actionspec.suite import rules

from . import browser

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = notebooks.notebook_paths(ROOT / 'notebooks')


# -- notebooks ----------------------------------------------------------------------------


def test_every_documented_situation_has_a_notebook():
    names = {p.stem for p in NOTEBOOKS}
    for wanted in (
        'one-unit',
        'fan-out',
        'deferred-events',
        'relation-changed',
        'params',
        'results-log-fail',
        'captured-output',
        'name-mangling',
        'implementations',
    ):
        assert any(name.endswith(wanted) for name in names), wanted


@pytest.mark.needs_ops
def test_committed_notebooks_are_their_own_execution(tmp_path):
    """Re-executing every notebook rewrites the same bytes: what is committed is current."""
    copies = []
    for path in NOTEBOOKS:
        copy = tmp_path / path.name
        shutil.copyfile(path, copy)
        copies.append(copy)
    executed = notebooks.execute_all(copies)
    changed = [e.path.name for e in executed if e.rewritten]
    assert not changed, f'run `actionspec docs` and commit: {changed} are out of date'


# Notebooks that are not one run's walkthrough: a side-by-side of implementations, the
# lifecycle, which talks to the model through Juju's commands, and the box, through jubilant.
NOT_RUN_REPORTS = (
    '09-implementations.ipynb',
    '10-operation-lifecycle.ipynb',
    '11-integration-tests-in-the-box.ipynb',
)


def test_run_reports_show_command_output_diagram_and_tasks():
    for path in (p for p in NOTEBOOKS if p.name not in NOT_RUN_REPORTS):
        markdown = [
            o['data']['text/markdown']
            for c in notebooks.read(path).cells
            if c.cell_type == 'code'
            for o in c.outputs
            if 'text/markdown' in o.get('data', {})
        ]
        assert markdown, f'{path.name} shows no run report'
        report = markdown[0]
        assert '$ juju run ' in report and '(exit status ' in report
        assert '```mermaid\nsequenceDiagram' in report
        assert '<caption>tasks</caption>' in report


def _write_notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    for n, (source, tags) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f'c{n}'
        cell.metadata['tags'] = tags
        nb.cells.append(cell)
    path.write_text(nbformat.writes(nb))


def test_a_cell_tagged_raises_exception_must_raise(tmp_path):
    path = tmp_path / 'quiet.ipynb'
    _write_notebook(path, ('1 + 1', ['raises-exception']))
    with pytest.raises(notebooks.NotebookError, match=r'quiet.ipynb: cell 1 is tagged'):
        notebooks.execute(path)


def test_an_untagged_cell_that_raises_stops_the_notebook(tmp_path):
    path = tmp_path / 'loud.ipynb'
    before = '1/0'
    _write_notebook(path, (before, []))
    text = path.read_text()
    with pytest.raises(notebooks.NotebookError, match=r'loud.ipynb: .*ZeroDivisionError'):
        notebooks.execute(path)
    assert path.read_text() == text  # a failed execution writes nothing


def test_the_cache_re_executes_only_what_changed(tmp_path):
    path = tmp_path / 'one.ipynb'
    _write_notebook(path, ('print(1)', []))
    cache = notebooks.Cache(tmp_path / 'cache.json')
    assert cache.stale([path]) == [path]
    cache.remember([path])
    assert notebooks.Cache(tmp_path / 'cache.json').stale([path]) == []
    _write_notebook(path, ('print(2)', []))
    assert notebooks.Cache(tmp_path / 'cache.json').stale([path]) == [path]


# -- converter ----------------------------------------------------------------------------


def _notebook_with_outputs(*outputs, tags=()):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell('# Title'))
    cell = nbformat.v4.new_code_cell('x = 1')
    cell.metadata['tags'] = list(tags)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells.append(cell)
    return nb


def test_converter_keeps_markdown_outputs_and_fences_text():
    nb = _notebook_with_outputs(
        {'output_type': 'stream', 'name': 'stdout', 'text': 'a ``` b\x1b[31mred\x1b[0m\x07\n'},
        {
            'output_type': 'display_data',
            'metadata': {},
            'data': {'text/markdown': '```mermaid\nsequenceDiagram\n```\n', 'text/plain': 'x'},
        },
    )
    page = convert.to_markdown(nb, source='notebooks/x.ipynb')
    assert page.startswith('# Title\n')
    assert '!!! note "An executed notebook"' in page
    assert '```python\nx = 1\n```' in page
    # A fence longer than the output's own backticks; terminal escapes removed.
    assert '````text\na ``` bred\n````' in page
    assert '```mermaid\nsequenceDiagram\n```' in page


def test_converter_shows_errors_as_failure_admonitions_and_hides_input():
    nb = _notebook_with_outputs(
        {'output_type': 'error', 'ename': 'RunError', 'evalue': 'no\x1b[0m', 'traceback': []},
        tags=['hide-input'],
    )
    page = convert.to_markdown(nb, source='n.ipynb')
    assert 'x = 1' not in page
    assert '!!! failure "Raises RunError"\n\n    ```text\n    RunError: no\n    ```' in page


def test_fenced_text_cannot_close_its_fence():
    text = 'x\n```\n<script>alert(1)</script>\n'
    block = markdown.fenced(text)
    assert block.startswith('````text\n') and block.endswith('\n````\n')


# -- generated pages ----------------------------------------------------------------------

# The matrix as the site shows it: the committed one, with the JSON reports dropped in
# beside it (docs/assets/reports/: the juju target through the box).
MATRIX = matrix_.with_reports(
    json.loads((ROOT / build.MATRIX).read_text()),
    mkdocs_hooks._dropped_in_reports(ROOT / 'docs' / mkdocs_hooks.REPORTS),
)


def test_claims_link_to_the_scenario_with_one_badge_per_implementation():
    page = pages.expand_claims('See [[fan-out/leader]].', 'notebooks/x.md', MATRIX)
    assert '[`fan-out/leader`](../catalogue/fan-out.md#leader)' in page
    for target in MATRIX['targets']:
        assert f'>{target}</span>' in page


def test_a_claim_naming_no_scenario_stops_the_build():
    with pytest.raises(pages.UnknownScenarioError, match=r'errata.md: \[\[fan-out/nope\]\]'):
        pages.expand_claims('[[fan-out/nope]]', 'errata.md', MATRIX)


def test_catalogue_has_every_scenario_with_its_anchor_and_file():
    cases = pages.load_suite()
    catalogue = pages.catalogue(cases, MATRIX)
    for case in cases:
        area, name = pages.area_of(case.id)
        page = catalogue[f'catalogue/{area}.md']
        assert f'{{#{name}}}' in page
        assert f'`{case.id}`' in page
    assert f'{len(cases)} scenarios' in catalogue['catalogue/index.md']


@pytest.mark.needs_ops
@pytest.mark.needs_charmhelpers
def test_committed_matrix_is_current():
    committed = (ROOT / build.MATRIX).read_text().splitlines()
    # A fresh process, as `actionspec docs` runs it.
    fresh = subprocess.run(
        [
            sys.executable,
            '-c',
            'from actionspec.site import build; print(build.matrix_data(), end="")',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    diff = '\n'.join(difflib.unified_diff(committed, fresh, 'committed', 'fresh', lineterm=''))
    assert not diff, f'run `actionspec docs` and commit {build.MATRIX}:\n{diff}'


def test_cli_page_has_every_command():
    page = pages.cli_page(cli.parser())
    commands = ('run', 'list', 'show', 'juju-run', 'matrix', 'mutants', 'bench', 'docs')
    for command in (*commands, 'compare', 'badges'):
        assert f'## `actionspec {command}`' in page


def test_hand_written_pages_cite_scenarios_that_exist():
    ids = {s['id'] for s in MATRIX['scenarios']}
    for page in (ROOT / 'docs').rglob('*.md'):
        for cited in pages.CLAIM.findall(page.read_text()):
            assert cited in ids, f'{page.name} cites {cited}'


# -- the built site -----------------------------------------------------------------------


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    subprocess.run(
        [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet', '--site-dir', str(out)],
        cwd=ROOT,
        check=True,
        env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'},
    )
    return out


def test_strict_build_has_every_page(site):
    for page in (
        'index.html',
        'reference/index.html',
        'errata/index.html',
        'matrix/index.html',
        'history/index.html',
        'cli/index.html',
        'api/index.html',
        'catalogue/index.html',
        'catalogue/fan-out/index.html',
        'notebooks/02-fan-out/index.html',
        'notebooks/02-fan-out.ipynb',
        'box/index.html',
        'juju-target/index.html',
        'badges/juju.svg',
        'notebooks/11-integration-tests-in-the-box/index.html',
        'notebooks/12-what-unit-tests-miss/index.html',
        'assets/javascripts/mermaid.min.js',
        'badges/reference.svg',
        'badges/reference.json',
    ):
        assert (site / page).is_file(), page
    assert 'actionspec.Model' in (site / 'api/index.html').read_text()


def test_every_rule_has_its_anchor_and_every_rule_link_lands_on_one(site):
    """MkDocs checks no anchors of generated pages (the catalogue), so this does."""
    for page in ('reference/index.html', 'catalogue/index.html'):
        html = (site / page).read_text()
        assert all(f'id="{r.anchor}"' in html for r in rules.bundled().values()), page
    links = 0
    for page in site.rglob('*.html'):
        for path, anchor in re.findall(r'href="([^"#]*)#(rule-[a-z0-9]+)"', page.read_text()):
            target = (page.parent / path).resolve() if path else page
            if target.is_dir():
                target = target / 'index.html'
            assert f'id="{anchor}"' in target.read_text(), (page, path, anchor)
            links += 1
    assert links > len(rules.bundled()) * 2


def _png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b'\x89PNG\r\n\x1a\n'
    return struct.unpack('>II', header[16:24])


def _rendered_svgs(page):
    """SVGs inside mermaid containers, looking into closed shadow roots as DevTools can."""
    root = page.call('DOM.getDocument', depth=-1, pierce=True)['root']
    found = []

    def walk(node, inside):
        attributes = node.get('attributes', [])
        classes = (
            dict(zip(attributes[::2], attributes[1::2], strict=True)).get('class', '').split()
        )
        inside = inside or (node.get('nodeName') == 'DIV' and 'mermaid' in classes)
        if inside and node.get('nodeName') == 'svg':
            found.append(node)
        for child in node.get('children', []) + node.get('shadowRoots', []):
            walk(child, inside)

    walk(root, False)
    return found


# How many code blocks on the page are wider than their box (and would scroll).
OVERFLOWING_CODE = (
    '[...document.querySelectorAll("article pre code")]'
    '.filter(c => c.scrollWidth > c.clientWidth).length'
)


@pytest.mark.needs_chromium
def test_site_renders_offline_in_chromium(site, tmp_path):
    with browser.serve(site) as base, browser.chromium() as page:
        for notebook in ('03-deferred-events', '02-fan-out'):
            page.goto(
                f'{base}/notebooks/{notebook}/',
                until='document.querySelectorAll("div.mermaid").length > 0',
            )
            diagrams = page.evaluate('document.querySelectorAll(".mermaid").length')
            for _ in range(100):
                if len(_rendered_svgs(page)) >= diagrams:
                    break
                page.evaluate('new Promise(r => setTimeout(r, 100))')
            svgs = _rendered_svgs(page)
            assert diagrams >= 2 and len(svgs) == diagrams, (notebook, diagrams, len(svgs))
            shot = tmp_path / f'{notebook}.png'
            page.screenshot(shot)
            width, height = _png_size(shot)
            assert width >= 1000 and height > 1600
        page.goto(f'{base}/matrix/', until='document.querySelector("article table")')
        rows = page.evaluate('document.querySelectorAll("article table")[1].rows.length')
        assert rows == len(MATRIX['scenarios']) + 1
        cells = page.evaluate(
            '[...document.querySelectorAll("article table")[0].rows]'
            '.map(r => r.cells[0].innerText)'
        )
        assert cells[1:] == MATRIX['targets']
        # Each implementation's badge, drawn by us, loads as an image the browser can draw.
        drawn = page.evaluate(
            '[...document.querySelectorAll("article img[src*=badges]")]'
            '.map(i => [i.getAttribute("src"), i.complete && i.naturalWidth > 100])'
        )
        assert drawn == [[f'../badges/{t}.svg', True] for t in MATRIX['targets']]
        page.screenshot(tmp_path / 'matrix.png')
        assert _png_size(tmp_path / 'matrix.png')[1] > 1600
        # The release history: a row per release, a link upstream for every change.
        history = json.loads((ROOT / 'docs/assets/release-history.json').read_text())
        page.goto(f'{base}/history/', until='document.querySelector("article table")')
        rows = page.evaluate('document.querySelectorAll("article details tbody tr").length')
        assert rows == sum(len(i['releases']) for i in history['implementations']) >= 8
        upstream = page.evaluate(
            '[...document.querySelectorAll("article p")].filter(p =>'
            ' p.innerText.startsWith("Why:") && p.querySelector("a[href^=\'https://\']"))'
            '.length'
        )
        assert upstream == 8
        # The box's guide: its tables all there, nothing wider than the page.
        page.goto(f'{base}/box/', until='document.querySelector("article table")')
        assert page.evaluate('document.querySelectorAll("article table").length') == 3
        assert page.evaluate(
            'document.documentElement.scrollWidth <= document.documentElement.clientWidth'
        )
        assert page.evaluate(OVERFLOWING_CODE) == 0
        # The juju target's page: its table of what a CLI cannot observe, and the juju
        # column in the matrix beside it comes from the report dropped in.
        page.goto(f'{base}/juju-target/', until='document.querySelector("article table")')
        assert page.evaluate('document.querySelectorAll("article table").length') == 1
        assert page.evaluate(OVERFLOWING_CODE) == 0
        # Every notebook's code and output fit the page: nothing scrolls sideways.
        for path in NOTEBOOKS:
            page.goto(f'{base}/notebooks/{path.stem}/', until='document.querySelector("pre")')
            assert page.evaluate(OVERFLOWING_CODE) == 0, path.stem
        # The landing page leads with the three questions a reader comes with.
        page.goto(f'{base}/', until='document.querySelector("article h2")')
        headings = page.evaluate(
            '[...document.querySelectorAll("article h2")].map(h => h.firstChild.textContent)'
        )
        assert headings[:3] == [
            'What happens when I run an action?',
            'What does my testing framework get wrong?',
            'Can I try it without a cloud?',
        ]
        assert page.evaluate(OVERFLOWING_CODE) == 0
        # Nothing was fetched from anywhere but the local server.
        assert page.failed_requests == []


def test_a_cells_printing_is_one_output_however_it_was_split(tmp_path):
    """A charm process forked from the kernel flushes the kernel's stdout first, so what a
    cell prints can reach the notebook in several messages: kept as one, it is the same
    bytes on every run."""
    path = tmp_path / 'split.ipynb'
    _write_notebook(
        path,
        (
            'import os, sys\nprint("a")\nsys.stdout.flush()\nos.fork() or os._exit(0)\nprint("b")',
            [],
        ),
    )
    notebooks.execute(path)
    (cell,) = notebooks.read(path).cells
    assert [(o.output_type, o.get('text')) for o in cell.outputs] == [('stream', 'a\nb\n')]


def test_every_notebook_ends_with_something_to_try_and_most_run_ops_charms():
    """Each notebook ends with a "Try it" section a reader can change and run again, and
    the docs execute the code a charm author writes: ops charms, in at least 8 of them."""
    with_ops = 0
    for path in NOTEBOOKS:
        cells = notebooks.read(path).cells
        tried = [
            n
            for n, c in enumerate(cells)
            if c.cell_type == 'markdown' and c.source.startswith('## Try it')
        ]
        assert tried, f'{path.name} has no "Try it" section'
        assert any(c.cell_type == 'code' for c in cells[tried[-1] :]), path.name
        code = '\n'.join(c.source for c in cells if c.cell_type == 'code')
        with_ops += 'ops.CharmBase' in code or 'write_ops_charm' in code
    assert with_ops >= 8, with_ops
