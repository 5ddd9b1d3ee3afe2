"""The house stands in one direction: each layer imports only the layers below it.

docs/architecture.md explains the layers; this test reads every import in the package
(inside functions and under TYPE_CHECKING too) and fails on one that points up, on a
cycle between modules, and on an import inside a function that does not say why.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).parents[1] / 'src' / 'actionspec'

# Bottom to top. A module is placed by its first name under `actionspec`, or by its
# first two where those are listed.
LAYERS: tuple[tuple[str, ...], ...] = (
    ('errors', 'trace', 'charmmeta', 'environment', 'files', 'version', 'yamldata'),  # leaves
    ('juju',),  # the controller
    ('charm', 'hooktools', 'jujucli'),  # the charm side; hook tools; Juju's action commands
    ('launch',),  # processes: charm directories, the zygote, scratch space
    ('runtimes', 'examples'),  # the model users deploy charm classes into
    ('box',),  # a local controller and `juju` client
    ('suite',),  # scenarios, loader, comparison, runner, scripted charms
    ('targets', 'reports'),  # implementations under test; reports of a run
    ('session', 'pytest_plugin'),  # one suite session, and pytest's way into it
    ('display',),  # notebook views
    ('site',),  # the docs
    ('bench',),  # measures everything above, the docs included
    ('cli',),
    ('site.mkdocs_hooks',),  # MkDocs calls in from outside, and documents the CLI
    ('__init__',),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def _is_package(path: pathlib.Path) -> bool:
    return path.name == '__init__.py'


def _layer(module: str) -> str:
    parts = module.split('.')
    if '.'.join(parts[1:3]) in RANK:
        return '.'.join(parts[1:3])
    return parts[1] if len(parts) > 1 else '__init__'


class _Import:
    def __init__(self, source: str, target: str, line: int, nested: bool, typing: bool):
        self.source, self.target, self.line = source, target, line
        self.nested, self.typing = nested, typing


def _imports(path: pathlib.Path) -> list[_Import]:
    """Every import of an actionspec module in the file, with where it stands."""
    module = _module_name(path)
    package = module if _is_package(path) else module.rpartition('.')[0]
    tree = ast.parse(path.read_text(encoding='utf-8'))
    found: list[_Import] = []

    def visit(node: ast.AST, nested: bool, typing: bool) -> None:
        for child in ast.iter_child_nodes(node):
            in_function = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            in_typing = typing or (
                isinstance(child, ast.If) and ast.unparse(child.test).endswith('TYPE_CHECKING')
            )
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split('.')
                    base = base[: len(base) - (child.level - 1)]
                    origin = '.'.join([*base, *([child.module] if child.module else [])])
                else:
                    origin = child.module or ''
                if origin.split('.')[0] == 'actionspec':
                    for alias in child.names:
                        candidate = f'{origin}.{alias.name}'
                        exists = _exists(candidate)
                        target = candidate if exists else origin
                        found.append(_Import(module, target, child.lineno, nested, typing))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split('.')[0] == 'actionspec':
                        found.append(_Import(module, alias.name, child.lineno, nested, typing))
            visit(child, in_function, in_typing)

    visit(tree, False, False)
    return found


def _exists(module: str) -> bool:
    relative = pathlib.Path(*module.split('.')[1:])
    return (PACKAGE / relative).with_suffix('.py').is_file() or (
        PACKAGE / relative / '__init__.py'
    ).is_file()


FILES = sorted(PACKAGE.rglob('*.py'))
IMPORTS = [i for path in FILES for i in _imports(path)]


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({_layer(_module_name(p)) for p in FILES} - set(RANK))
    assert unplaced == []


def test_no_import_points_up() -> None:
    upward = [
        f'{i.source}:{i.line} imports {i.target} ({_layer(i.source)} is below {_layer(i.target)})'
        for i in IMPORTS
        if RANK[_layer(i.target)] > RANK[_layer(i.source)]
    ]
    assert upward == []


def test_no_import_cycle_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for i in IMPORTS:
        if not i.typing and i.target != i.source:
            graph.setdefault(i.source, set()).add(i.target)
    cycles = []
    state: dict[str, int] = {}

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(' -> '.join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    # A package's __init__ importing its own modules, which import the package for a
    # sibling, is how Python packages work; only module-to-module cycles count.
    real = [c for c in cycles if not _only_through_packages(c)]
    assert real == []


def _only_through_packages(cycle: str) -> bool:
    names = cycle.split(' -> ')
    return any(_is_package(_path_of(n)) for n in names if _path_of(n).exists())


def _path_of(module: str) -> pathlib.Path:
    relative = pathlib.Path(*module.split('.')[1:])
    as_file = (PACKAGE / relative).with_suffix('.py')
    return as_file if as_file.is_file() else PACKAGE / relative / '__init__.py'


def test_the_controller_imports_nothing_above_it_even_inside_functions() -> None:
    above = [
        f'{i.source}:{i.line} imports {i.target}'
        for i in IMPORTS
        if _layer(i.source) == 'juju' and RANK[_layer(i.target)] > RANK['juju']
    ]
    assert above == []
    assert any(_layer(i.source) == 'juju' for i in IMPORTS)  # the reader sees its imports


def _unexplained_nested_imports(text: str, name: str) -> list[str]:
    """Imports inside functions with no comment on their line or the line above."""
    lines = text.splitlines()
    bad = []
    for func in ast.walk(ast.parse(text)):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                here = lines[node.lineno - 1]
                above = lines[node.lineno - 2] if node.lineno > 1 else ''
                if '#' not in here and not above.strip().startswith('#'):
                    bad.append(f'{name}:{node.lineno}: {here.strip()}')
    return bad


@pytest.mark.parametrize('path', FILES, ids=_module_name)
def test_an_import_inside_a_function_says_why(path: pathlib.Path) -> None:
    text = path.read_text(encoding='utf-8')
    assert _unexplained_nested_imports(text, _module_name(path)) == []


def test_the_checks_see_what_they_look_for() -> None:
    """The reader sees TYPE_CHECKING and nested imports, and a bare nested import is
    reported, so the checks above can fail."""
    found = {(i.source, i.target, i.typing) for i in IMPORTS}
    assert ('actionspec.juju.context', 'actionspec.juju.model', True) in found
    assert any(i.nested for i in IMPORTS)
    sample = 'def f():\n    import os\n\n\ndef g():\n    # why\n    import sys\n'
    assert _unexplained_nested_imports(sample, 'sample') == ['sample:2: import os']
