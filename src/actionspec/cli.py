"""The `actionspec` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from . import __version__, bench, examples
from .juju import clock, model, render


def _demo(args: argparse.Namespace) -> int:
    """A two-unit action run: what the administrator sees, and what each charm saw."""
    m = model.Model('demo', clock=clock.TickingClock())
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
    result = bench.run(quick=args.quick)
    print(bench.format_table(result))
    if args.json:
        tmp = f'{args.json}.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=2)
        os.replace(tmp, args.json)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog='actionspec', description='The Juju action event model, as running code.'
    )
    p.add_argument('--version', action='version', version=f'actionspec {__version__}')
    sub = p.add_subparsers(dest='command', required=True)

    demo = sub.add_parser('demo', help='run an action on two units and show what happened')
    demo.add_argument('--format', choices=render.FORMATS, default='yaml')
    demo.set_defaults(func=_demo)

    b = sub.add_parser('bench', help='measure the reference against ops.testing, side by side')
    b.add_argument('--quick', action='store_true', help='fewer repeats (for CI)')
    b.add_argument('--json', metavar='PATH', help='also write the figures as JSON')
    b.set_defaults(func=_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == '__main__':
    run()
