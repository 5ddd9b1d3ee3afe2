"""The `actionspec` command."""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from . import bench, charmmeta, examples, files, reports, runtimes, session, targets, version
from . import box as box_
from .box import pack as box_pack
from .juju import clock, model, render, versions
from .jujucli import commands
from .jujucli import flags as jujuflags
from .launch import charmdir, venvs
from .reports import badges, comparison, history, json_report, matrix, terminal
from .suite import fuzz, runner, target
from .targets import juju_cli, mutants, releases

# Exit statuses of `actionspec run`.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BAD_INPUT = 0, 1, 2, 3


def _demo(args: argparse.Namespace) -> int:
    """A two-unit action run: what the administrator sees, and what each charm saw."""
    m = runtimes.Model('demo', clock=clock.TickingClock())
    m.deploy(
        'db',
        examples.DatabaseCharm,
        actions=examples.SNAPSHOT_ACTIONS,
        units=3,
        peers=['replicas'],
    )
    m.defer('db/0', 'update_status')
    params = {'outfile': '/srv/db.dump'}
    op = m.run('db/0', 'db/1', action='snapshot-database', params=params)
    out = render.cli_output(op, args.format)
    print(f'$ juju run db/0 db/1 snapshot-database outfile=/srv/db.dump --format {args.format}')
    print(out.stderr + out.stdout, end='')
    print(f'(exit status {out.exit_code})\n')
    print('Events each unit saw, in order (why: the cause):')
    width = max(len(e.event) for e in op.trace)
    for n, entry in enumerate(op.trace, 1):
        deferred = '  -> deferred again' if entry.deferred else ''
        print(f'  {n:2}. {entry.unit}  {entry.event:<{width}}  ({entry.cause}){deferred}')
    return 0


def _bench(args: argparse.Namespace) -> int:
    root = pathlib.Path.cwd()
    docs = root if (root / 'mkdocs.yml').is_file() and (root / 'notebooks').is_dir() else None
    result = bench.run(quick=args.quick, docs_root=docs)
    print(bench.format_table(result))
    if args.json:
        files.write_atomically(pathlib.Path(args.json), json.dumps(result, indent=2) + '\n')
    return 0


class UsageError(Exception):
    """Bad arguments: reported on one line, exit status 2."""


def _session(
    args: argparse.Namespace, juju_version: str = versions.DEFAULT_VERSION
) -> session.Session:
    """The session the arguments describe; a bad argument is a UsageError."""
    try:
        return session.Session.load(
            [pathlib.Path(p) for p in getattr(args, 'suite', None) or ()],
            bundled=getattr(args, 'bundled', False),
            select=getattr(args, 'select', None) or (),
            juju_version=juju_version,
        )
    except session.SessionError as e:
        raise UsageError(str(e)) from None


def _targets(suite: session.Session, names: Sequence[str]) -> list[target.Target]:
    try:
        return suite.targets(names)
    except session.SessionError as e:
        raise UsageError(str(e)) from None


def _jobs(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError(f'--jobs {args.jobs}: must be at least 1')
    return int(args.jobs)


def _run(args: argparse.Namespace) -> int:
    for report in args.report or ():
        if pathlib.Path(report).suffix not in reports.WRITERS:
            raise UsageError(f'--report {report}: the file must end in .json, .xml or .md')
    jobs = _jobs(args)
    suite = _session(args, args.juju_version)
    chosen = _targets(suite, args.target)
    through_juju = [t for t in chosen if isinstance(t, juju_cli.JujuTarget)]
    if args.juju_model:
        if not through_juju:
            raise UsageError('--juju-model: only the juju target adds models')
        for juju_target in through_juju:
            try:
                juju_target.name_models(args.juju_model)
            except ValueError as e:
                raise UsageError(str(e)) from None
    for chosen_target in chosen:
        suite.expected_failures(chosen_target.name)  # their problems show before the run
    progress = terminal.Progress(len(suite.cases) * len(chosen))
    results: list[runner.Result] = []

    def write_reports(done: Sequence[runner.Result], *, complete: bool) -> None:
        for report in args.report or ():
            reports.write(
                pathlib.Path(report),
                done,
                suite.problems,
                juju_version=suite.juju_version,
                complete=complete,
            )

    def record(result: runner.Result) -> None:
        results.append(result)
        progress(result)

    # Even a run killed outright (SIGKILL, a CI timeout) leaves valid reports of what
    # finished, marked incomplete: rewritten atomically every second or so.
    def checkpoint(done: Sequence[runner.Result]) -> None:
        write_reports(done, complete=False)

    try:
        with _interruptible(), _models_cleaned_up(through_juju):
            suite.run(
                chosen,
                jobs=jobs,
                progress=record,
                checkpoint=checkpoint if args.report else None,
            )
    except Interrupted as stop:
        # Every result so far still reaches the reports, marked incomplete.
        progress.finish()
        print(terminal.summary(results, suite.problems, verbose=args.verbose), end='')
        print(f'interrupted by {stop.name} after {len(results)} results', file=sys.stderr)
        write_reports(results, complete=False)
        return 128 + stop.signum
    progress.finish()
    print(terminal.summary(results, suite.problems, verbose=args.verbose), end='')
    write_reports(results, complete=True)
    if suite.problems:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if any(r.outcome.is_bad for r in results) else EXIT_OK


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop running scenarios, keep what finished."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `Interrupted` while the suite runs."""

    def stop(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _models_cleaned_up(chosen: Sequence[juju_cli.JujuTarget]) -> Iterator[None]:
    """However the run ends, destroy the models the juju target added and left (a
    scenario stopped by a signal in a worker process leaves its model)."""
    try:
        yield
    finally:
        for juju_target in chosen:
            left = juju_target.clean_up()
            if left:
                print(f'destroyed the models the run left: {", ".join(left)}', file=sys.stderr)


def _print_problems(problems: Sequence[Exception]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    suite = _session(args)
    for case in suite.cases:
        print(f'{case.id:<55} {case.side!s:<10} {case.title}')
    _print_problems(suite.problems)
    print(f'{len(suite.cases)} scenarios', file=sys.stderr)
    return EXIT_BAD_INPUT if suite.problems else EXIT_OK


def _show(args: argparse.Namespace) -> int:
    suite = _session(args)
    found = [c for c in suite.cases if c.id == args.id]
    if not found:
        _print_problems(suite.problems)
        raise UsageError(f'no scenario {args.id!r} (see `actionspec list`)')
    print(pathlib.Path(found[0].path).read_text(encoding='utf-8'), end='')
    return EXIT_OK


def _juju(args: argparse.Namespace) -> int:
    """Juju's action commands against a charm directory deployed into a fresh model: each
    command line separated by a `;` word runs in turn, as the `juju` client runs it."""
    lines: list[list[str]] = [[]]
    for word in args.command:
        if word == ';':
            lines.append([])
        else:
            lines[-1].append(word)
    lines = [line for line in lines if line]
    if not lines:
        raise UsageError('juju: name a command (run, show-task, show-operation, operations, ...)')
    charm = pathlib.Path(args.charm)
    m = runtimes.Model(juju_version=args.juju_version)
    numbers = [
        int(word.split('/')[1])
        for line in lines
        for word in line
        if model.UNIT_NAME.match(word) and not word.endswith('/leader')
    ]
    try:
        charmdir.deploy_charm_dir(
            m, charm, units=args.units or max([*numbers, 0]) + 1, leader=args.leader
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    code = EXIT_OK
    for line in lines:
        out = commands.call(m, line)
        sys.stderr.write(out.stderr)
        sys.stderr.flush()
        sys.stdout.write(out.stdout)
        sys.stdout.flush()
        code = out.exit_code
        m.advance()  # the unit agents work between one command and the next
    return code


def _box(args: argparse.Namespace) -> int:
    """`actionspec box -- COMMAND`: COMMAND with a box's `juju` first on PATH; `serve`
    keeps a box running; `env` prints the environment that uses one; `pack DIR` builds a
    `.charm`; `advance DURATION` moves a running box's time on."""
    words = list(args.command)
    if words[:1] == ['--']:
        words = words[1:]
    elif words[:1] == ['pack']:
        return _box_pack(words[1:])
    elif words[:1] == ['advance']:
        return _box_advance(args, words[1:])
    if words[:1] == ['serve']:
        data = pathlib.Path(args.data) if args.data else None
        with box_.Box.start(data) as running:
            print(
                f'actionspec box serving in {running.data}; eval "$(actionspec box env '
                f'--data {running.data})" to use it; Ctrl-C stops it',
                file=sys.stderr,
            )
            with contextlib.suppress(KeyboardInterrupt):
                running.process.wait()
        return EXIT_OK
    if words[:1] == ['env']:
        if not args.data:
            raise UsageError('box env: name the box with --data DIR (as `box serve` printed)')
        data = pathlib.Path(args.data)
        print(f'export JUJU_DATA={shlex.quote(str(data))}')
        print(f'export PATH={shlex.quote(str(data / "bin"))}:"$PATH"')
        return EXIT_OK
    if not words:
        raise UsageError('box: give a command to run in the box (actionspec box -- COMMAND ...)')
    # Stopped from outside (a CI job cancelled): leave through the box's own cleanup.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with box_.Box.start(pathlib.Path(args.data) if args.data else None) as running:
        try:
            return subprocess.run(words, env=running.env(), check=False).returncode
        except FileNotFoundError:
            raise UsageError(f'box: no such command: {words[0]}') from None


def _box_pack(words: list[str]) -> int:
    """`actionspec box pack DIR [OUT_DIR]`: the charm at DIR as a `.charm` in OUT_DIR (the
    working directory by default); prints its path."""
    if not 1 <= len(words) <= 2:
        raise UsageError('box pack: give the charm directory, and where to put the .charm')
    source = pathlib.Path(words[0])
    if not source.is_dir():
        raise UsageError(f'box pack: {source}: not a directory')
    out = pathlib.Path(words[1] if len(words) > 1 else '.')
    try:
        print(box_pack.pack(source, out))
    except (box_pack.PackError, charmmeta.MetadataError) as e:
        print(f'actionspec: {e}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _box_advance(args: argparse.Namespace, words: list[str]) -> int:
    """`actionspec box advance DURATION --data DIR`: move a running box's time on."""
    if len(words) != 1 or not args.data:
        raise UsageError('box advance: give a duration (5m, 90s) and the box with --data DIR')
    try:
        seconds = jujuflags.parse_duration(words[0])
    except ValueError:
        raise UsageError(f'box advance: not a duration: {words[0]!r} (5m, 90s, 1h30m)') from None
    try:
        box_.Box.advance_at(pathlib.Path(args.data), seconds)
    except OSError as e:
        print(f'actionspec: no box is serving in {args.data}: {e.strerror or e}', file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as e:
        print(f'actionspec: box advance: {e}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _juju_run(args: argparse.Namespace) -> int:
    """The older spelling: `actionspec juju-run CHARM_DIR UNIT... ACTION ...`."""
    args.command = ['run', *args.words]
    if args.format:
        args.command += ['--format', args.format]
    if args.string_args:
        args.command.append('--string-args')
    return _juju(args)


def _charm_options(parser: argparse.ArgumentParser, *, with_charm: bool = True) -> None:
    if with_charm:
        parser.add_argument(
            '--charm', default='.', metavar='DIR', help='the charm directory (default: here)'
        )
    parser.add_argument(
        '--units', type=int, metavar='N', help='units to deploy (default: enough for those named)'
    )
    parser.add_argument('--leader', type=int, default=0, metavar='N')
    parser.add_argument('--juju-version', default=versions.DEFAULT_VERSION, metavar='V')


def _matrix(args: argparse.Namespace) -> int:
    if args.history:
        return _history(args)
    if args.releases:
        raise UsageError('--releases: only with --history')
    jobs = _jobs(args)
    dropped_in = []
    for path in args.with_report or ():
        try:
            dropped_in.append((pathlib.Path(path).stem, json_report.read(pathlib.Path(path))))
        except json_report.ReportError as e:
            raise UsageError(f'--with {e}') from None
    suite = _session(args, args.juju_version)
    chosen = _targets(suite, ['all'])
    progress = terminal.Progress(len(suite.cases) * len(chosen))
    results = suite.run(chosen, jobs=jobs, progress=progress)
    progress.finish()
    data = matrix.with_reports(matrix.as_data(results, suite.juju_version), dropped_in)
    outputs = {args.markdown: matrix.markdown_from_data, args.json: matrix.json_text}
    for path, writer in outputs.items():
        if path:
            files.write_atomically(pathlib.Path(path), writer(data))
    if not args.markdown and not args.json:
        print(matrix.markdown_from_data(data), end='')
    missing = sorted(set(targets.names()) - {t.name for t in chosen})
    for name in missing:
        print(
            f'target {name} is not available here: see `actionspec run --target {name}`',
            file=sys.stderr,
        )
    _print_problems(suite.problems)
    print(runner.closing_line(results), file=sys.stderr)
    if suite.problems:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if any(r.outcome.is_bad for r in results) else EXIT_OK


def _history(args: argparse.Namespace) -> int:
    """`matrix --history`: the suite across releases of each implementation, each in its
    own environment (built on first use), and from which release each passes."""
    jobs = _jobs(args)
    names = [n for given in args.releases or () for n in given.split(',') if n.strip()]
    for name in names:
        if not releases.is_release(name.strip()):
            forms = ', '.join(releases.FORMS)
            raise UsageError(f'--releases: {name!r} is not a release target ({forms})')
    names = [n.strip() for n in names] or list(releases.DEFAULT_HISTORY)
    suite = _session(args, args.juju_version)
    start = time.perf_counter()
    releases.prepare(names, jobs)
    chosen = _targets(suite, names)
    built = time.perf_counter() - start
    progress = terminal.Progress(len(suite.cases) * len(chosen))
    results = suite.run(chosen, jobs=jobs, progress=progress)
    progress.finish()
    tested = [
        history.Tested(t.family.name, t.name, t.version, t.companions)
        for t in chosen
        if isinstance(t, releases.ReleaseTarget)
    ]
    oldest = {name: family.too_old for name, family in releases.FAMILIES.items()}
    data = history.as_data(results, tested, suite.juju_version, oldest)
    if args.json:
        files.write_atomically(pathlib.Path(args.json), json.dumps(data, indent=1) + '\n')
    if args.markdown:
        files.write_atomically(pathlib.Path(args.markdown), history.markdown(data))
    if not args.markdown and not args.json:
        print(history.markdown(data), end='')
    _print_problems(suite.problems)
    print(
        f'{len(chosen)} releases, {len(suite.cases)} scenarios: {runner.closing_line(results)} '
        f'in {time.perf_counter() - start:.0f} s ({built:.0f} s to find or build the '
        'environments)',
        file=sys.stderr,
    )
    if suite.problems:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if any(r.outcome is runner.Outcome.ERRORED for r in results) else EXIT_OK


def _docs(args: argparse.Namespace) -> int:
    """Execute the notebooks that changed, refresh the matrix, build the site strictly."""
    try:
        # The docs toolchain is an optional extra: imported to ask whether it is here.
        from .site import build
    except ImportError as e:
        raise UsageError(
            f'the docs tools are not installed ({e.name}): pip install "actionspec[docs]"'
        ) from None
    from .site import notebooks  # with `build`, once the extra is known to be here

    root = pathlib.Path(args.root)
    if not (root / 'mkdocs.yml').is_file():
        raise UsageError(f'--root {args.root}: no mkdocs.yml there (run from the repository)')
    try:
        figures = build.build(
            root,
            everything=args.all,
            site_dir=pathlib.Path(args.site_dir) if args.site_dir else None,
        )
    except notebooks.NotebookError as e:
        print(f'actionspec docs: {e}', file=sys.stderr)
        return EXIT_FAILED
    except subprocess.CalledProcessError as e:
        print(f'actionspec docs: mkdocs build --strict failed ({e.returncode})', file=sys.stderr)
        return EXIT_FAILED
    print(build.report(figures), end='')
    return EXIT_OK


def _fuzz(args: argparse.Namespace) -> int:
    """Generated scenarios on the reference and a second target; print what disagrees."""
    if args.examples < 1:
        raise UsageError(f'--examples {args.examples}: must be at least 1')
    first, second = _targets(_session(args), ['reference', args.against])
    out = pathlib.Path(args.out) if args.out else None

    def progress(done: int, found: int) -> None:
        if sys.stderr.isatty():
            print(
                f'\r{done}/{args.examples} examples, {found} disagreements',
                end='',
                file=sys.stderr,
            )

    findings = fuzz.run(args.examples, args.seed, first, second, progress)
    found = findings.disagreements
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for number, item in enumerate(found, 1):
        print(f'# disagreement {number}: {item.case_id}')
        print(item.text, end='')
        for mismatch in item.mismatches:
            print('# ' + mismatch.replace('\n', '\n# '))
        print()
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            files.write_atomically(out / f'disagreement-{args.seed}-{number}.yaml', item.text)
    print(
        f'{args.examples} examples (seed {args.seed}), reference against {second.name}: '
        f'{len(found)} disagreements, {findings.not_covered} not covered by {second.name}',
        file=sys.stderr,
    )
    return EXIT_FAILED if found else EXIT_OK


def _mutants(args: argparse.Namespace) -> int:
    chosen = args.juju_version or list(versions.PROFILES)
    suite = _session(args)
    for juju_version in chosen:
        _session(argparse.Namespace(), juju_version)  # an unknown version is a UsageError
    if suite.problems:
        _print_problems(suite.problems)
        return EXIT_BAD_INPUT
    table = mutants.catch_table(suite.cases, chosen)
    width = max(len(m.name) for m, _ in table)
    print(f'{"mutant":<{width}}  caught by  breaks')
    for mutant, caught in table:
        print(f'{mutant.name:<{width}}  {len(caught):>9}  {mutant.breaks}')
        for case_id in caught[: args.show]:
            print(f'{"":<{width}}             {case_id}')
        if len(caught) > args.show:
            print(f'{"":<{width}}             ... and {len(caught) - args.show} more')
    missed = [m.name for m, caught in table if not caught]
    print(
        f'\n{len(table) - len(missed)} of {len(table)} mutants caught'
        + (f'; missed: {", ".join(missed)}' if missed else '')
    )
    return EXIT_FAILED if missed else EXIT_OK


def _read_report(path: str) -> json_report.Report:
    try:
        return json_report.Report.read(pathlib.Path(path))
    except json_report.ReportError as e:
        raise UsageError(str(e)) from None


def _compare(args: argparse.Namespace) -> int:
    """What changed between two JSON reports; exit status 1 when anything regressed."""
    found = comparison.compare(_read_report(args.old), _read_report(args.new))
    if args.append_markdown:
        try:
            with open(args.append_markdown, 'a', encoding='utf-8') as summary:
                summary.write(comparison.render_markdown(found))
        except OSError as e:
            raise UsageError(f'{args.append_markdown}: cannot write it: {e.strerror}') from None
    render = comparison.render_markdown if args.markdown else comparison.render_table
    print(render(found), end='')
    return EXIT_FAILED if found.regressed else EXIT_OK


def _badges(args: argparse.Namespace) -> int:
    """A shields.io endpoint file and an SVG badge per target of a JSON report."""
    report = _read_report(args.report)
    if not report.complete:
        raise UsageError(
            f'{report.path}: the report is incomplete (its run was interrupted): '
            'badges made from it would undercount'
        )
    if not report.entries:
        raise UsageError(f'{report.path}: the report has no results to make badges of')
    try:
        made = badges.for_totals(report.totals(), report.juju_version)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for stem, badge in made.items():
        for suffix, text in badge.files().items():
            path = pathlib.Path(args.out) / f'{stem}{suffix}'
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                files.write_atomically(path, text)
            except OSError as e:
                raise UsageError(f'{path}: cannot write it: {e.strerror}') from None
            print(path)
    return EXIT_OK


def _report_commands(sub: Any) -> None:
    """Commands that read JSON reports of `actionspec run`: compare and badges."""
    cmp = sub.add_parser(
        'compare',
        help='what changed between two JSON reports: regressions, fixes, new and gone',
        description=(
            'Compare two reports written by `actionspec run --report FILE.json`, scenario by '
            'scenario on each target both have: what regressed, what was fixed, what changed '
            'otherwise (another outcome as good as the old one, or another reason), what is '
            'new, what is gone, and how many stayed the same. A regression is a scenario that '
            'passed and now does not, or that was a known failure or skipped and now fails the '
            'run (failed, errored, or an expected failure that passed). It also says when a '
            'report is incomplete, when the runs checked different Juju versions, and which '
            'targets only one report has. Prints a table, or Markdown with --markdown. Exit '
            'status: 1 if anything regressed, 0 if not, 2 if a file is not a report this '
            'actionspec can read.'
        ),
    )
    cmp.add_argument('old', metavar='OLD.json', help='the report to compare against')
    cmp.add_argument('new', metavar='NEW.json', help='the report of the run being judged')
    cmp.add_argument(
        '--markdown',
        action='store_true',
        help='print Markdown instead of the table, e.g. >> "$GITHUB_STEP_SUMMARY"',
    )
    cmp.add_argument(
        '--append-markdown',
        metavar='PATH',
        help='also append the Markdown to PATH (e.g. "$GITHUB_STEP_SUMMARY") and still '
        'print the table',
    )
    cmp.set_defaults(func=_compare)

    bdg = sub.add_parser(
        'badges',
        help='write a badge per target of a JSON report: shields.io endpoint JSON and SVG',
        description=(
            'For each target of a report written by `actionspec run --report FILE.json`, '
            'write OUT/<target>.json (a shields.io endpoint file: use it as '
            'https://img.shields.io/endpoint?url=<where it is served>) and OUT/<target>.svg '
            '(the same badge, drawn here without any network). The message counts the '
            'scenarios passing of those the target ran, then known failures and failures '
            'apart; the colour follows the share passing. Prints each path written.'
        ),
    )
    bdg.add_argument('report', metavar='REPORT.json', help='a complete JSON report')
    bdg.add_argument(
        '--out', required=True, metavar='DIR', help='the directory to write the badges into'
    )
    bdg.set_defaults(func=_badges)


def _suite_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        '--suite',
        action='append',
        metavar='PATH',
        help='scenario files or directories to run instead of the bundled suite (repeatable)',
    )
    p.add_argument(
        '--bundled', action='store_true', help='with --suite: run the bundled suite too'
    )
    p.add_argument(
        '--select',
        action='append',
        metavar='GLOB',
        help='only scenarios whose id matches (repeatable)',
    )


def _jobs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        '-j',
        '--jobs',
        type=int,
        default=session.default_jobs(),
        metavar='N',
        help='run scenarios in N processes at once; results and their order are the same '
        '(default: one per core, here %(default)s)',
    )


def _tool_commands(sub: Any) -> None:
    """The commands for maintainers: differential fuzzing and the docs build."""
    fz = sub.add_parser(
        'fuzz',
        help='differential fuzzing: generated scenarios on the reference and another target',
    )
    fz.add_argument('--examples', type=int, default=200, metavar='N', help='default: 200')
    fz.add_argument('--seed', type=int, default=0, metavar='S', help='default: 0')
    fz.add_argument(
        '--against', default='ops', metavar='TARGET', help='the second target (default: ops)'
    )
    fz.add_argument('--out', metavar='DIR', help='also write each disagreement as a scenario file')
    fz.set_defaults(func=_fuzz)

    d = sub.add_parser(
        'docs', help='execute changed notebooks, refresh the matrix and build the site'
    )
    d.add_argument('--all', action='store_true', help='re-execute every notebook and the matrix')
    d.add_argument('--root', default='.', metavar='DIR', help='the repository (default: .)')
    d.add_argument('--site-dir', metavar='DIR', help='build the site here (default: site/)')
    d.set_defaults(func=_docs)


def _box_parser(sub: Any) -> None:
    box = sub.add_parser(
        'box',
        help='run a command with a local Juju controller and `juju` client (the box)',
        description=(
            'actionspec box -- COMMAND ...: start a local controller, run COMMAND with its '
            '`juju` first on PATH and JUJU_DATA pointing at it, then stop it. `actionspec '
            'box serve` keeps one running; `actionspec box env --data DIR` prints the '
            'environment that uses it; `actionspec box advance 5m --data DIR` moves its '
            'time on; `actionspec box pack DIR [OUT]` builds a .charm as charmcraft lays '
            'one out (no wheels built).'
        ),
    )
    box.add_argument('--data', metavar='DIR', help='the box data directory (default: a fresh one)')
    box.add_argument('command', nargs=argparse.REMAINDER, metavar='-- COMMAND [ARGS...]')
    box.set_defaults(func=_box)


def _matrix_parser(sub: Any) -> None:
    mx = sub.add_parser(
        'matrix',
        help='run every available target and write the conformance matrix, or with '
        '--history the suite across releases',
        description=(
            'The conformance matrix: every available target side by side. With --history: '
            'the suite across releases of the real ops runtime, Harness and Scenario, each '
            'in a virtual environment of its own built from PyPI on first use (under '
            f'${venvs.CACHE_VARIABLE}, else $XDG_CACHE_HOME/actionspec/envs), and from '
            'which release each passes each scenario. A history run fails only when a '
            'scenario errors: an old release failing is what it records.'
        ),
    )
    mx.add_argument('--juju-version', default=versions.DEFAULT_VERSION, metavar='V')
    mx.add_argument(
        '--history', action='store_true', help='run the suite across releases (see above)'
    )
    mx.add_argument(
        '--releases',
        action='append',
        metavar='LIST',
        help='with --history: release targets, comma-separated (repeatable), such as '
        'ops@2.23,ops-harness@2.23,ops-scenario@7 (default: each ops minor line from 2.0, '
        'Harness from 2.9, Scenario 6, 7.19 to 7.23 and 8.0 to 8.9)',
    )
    mx.add_argument('--markdown', metavar='PATH', help='write the matrix as Markdown here')
    mx.add_argument('--json', metavar='PATH', help='write the matrix as JSON here')
    mx.add_argument(
        '--with',
        dest='with_report',
        action='append',
        metavar='REPORT.json',
        help="show a JSON report's results beside the targets run here (a run on a real "
        'controller, say; repeatable)',
    )
    _jobs_option(mx)
    _suite_options(mx)
    mx.set_defaults(func=_matrix)


def _run_parser(sub: Any) -> None:
    r = sub.add_parser('run', help='run the conformance suite against implementations')
    r.add_argument(
        '--target',
        action='append',
        metavar='NAME',
        help='a target to run (repeatable; "all" for every available one; default: reference)',
    )
    r.add_argument(
        '--juju-version',
        default=versions.DEFAULT_VERSION,
        metavar='V',
        help='the Juju version to check against (default: %(default)s)',
    )
    r.add_argument(
        '--report',
        action='append',
        metavar='PATH',
        help='also write a report: .json, .xml (JUnit) or .md (repeatable)',
    )
    r.add_argument(
        '--juju-model',
        metavar='NAME',
        help='with --target juju: name the models the run adds NAME-<pid>-<n> '
        '(default: actionspec-<random>); each is destroyed after its scenario',
    )
    r.add_argument('-v', '--verbose', action='store_true', help='also list skipped scenarios')
    _jobs_option(r)
    _suite_options(r)
    r.set_defaults(func=_run)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog='actionspec', description='The Juju action event model, as running code.'
    )
    p.add_argument('--version', action='version', version=f'actionspec {version.VERSION}')
    sub = p.add_subparsers(dest='command', required=True)

    demo = sub.add_parser('demo', help='run an action on two units and show what happened')
    demo.add_argument('--format', choices=render.FORMATS, default='yaml')
    demo.set_defaults(func=_demo)

    _run_parser(sub)

    ls = sub.add_parser('list', help='list the scenarios')
    _suite_options(ls)
    ls.set_defaults(func=_list)

    show = sub.add_parser('show', help='print one scenario file')
    show.add_argument('id')
    _suite_options(show)
    show.set_defaults(func=_show)

    juju = sub.add_parser(
        'juju',
        help="Juju's action commands (run, show-task, operations, ...) on a charm directory",
        description=(
            "Run Juju's action commands, as the juju client does, against a charm directory "
            'deployed into a fresh model. Separate several command lines with a ";" word '
            '(quoted for the shell): they run in turn against the same model. Options of '
            'actionspec come before the command; what follows it is the command.'
        ),
    )
    _charm_options(juju)
    juju.add_argument('command', nargs=argparse.REMAINDER, metavar='COMMAND [ARGS...]')
    juju.set_defaults(func=_juju)

    _box_parser(sub)

    jr = sub.add_parser(
        'juju-run', help='the older spelling of `actionspec juju --charm DIR run ...`'
    )
    jr.add_argument('charm', metavar='CHARM_DIR')
    jr.add_argument('words', nargs='+', metavar='UNIT... ACTION [key=value ...]')
    jr.add_argument('--format', choices=render.FORMATS)
    jr.add_argument('--string-args', action='store_true', help='take values as strings, not YAML')
    _charm_options(jr, with_charm=False)
    jr.set_defaults(func=_juju_run)

    _matrix_parser(sub)

    mu = sub.add_parser(
        'mutants',
        help='run the suite on broken variants of the reference: which scenarios catch each',
    )
    mu.add_argument(
        '--juju-version', action='append', metavar='V', help='Juju versions to try (default: all)'
    )
    mu.add_argument(
        '--show',
        type=int,
        default=5,
        metavar='N',
        help='list up to N catching scenarios per mutant',
    )
    _suite_options(mu)
    mu.set_defaults(func=_mutants)

    _report_commands(sub)
    _tool_commands(sub)

    b = sub.add_parser('bench', help='measure the reference against ops.testing, side by side')
    b.add_argument('--quick', action='store_true', help='fewer repeats (for CI)')
    b.add_argument('--json', metavar='PATH', help='also write the figures as JSON')
    b.set_defaults(func=_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except UsageError as e:
        print(f'actionspec: error: {e}', file=sys.stderr)
        return EXIT_USAGE
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == '__main__':
    run()
