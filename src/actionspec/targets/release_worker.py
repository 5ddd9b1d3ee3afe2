"""The worker inside a release's environment (see `targets.releases`).

It reads one request per line on standard input (a target's name, a Juju version and a
scenario, `suite.codec`-encoded), runs the kit's target of that name with the release
installed here, and writes one answer per line: the observation, a reason it cannot
observe, or the error with its traceback. It ends at the end of its input.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

from .. import targets
from ..suite import codec, target


def _answer(request: dict[str, Any], made: dict[str, target.Target]) -> dict[str, Any]:
    try:
        name = request['target']
        if name not in made:
            made[name] = targets.make(name)
        case = codec.decode(request['case'])
        seen = made[name].observe(case, request['juju_version'])
        return {'observation': codec.encode(seen)}
    except target.CannotObserve as e:
        return {'cannot_observe': str(e)}
    except Exception as e:
        return {'error': f'{type(e).__name__}: {e}', 'traceback': traceback.format_exc()}


def main() -> None:
    # The answers get standard output to themselves: whatever else writes to it (a
    # charm, a harness, a library) goes to standard error, the worker's log.
    answers = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    made: dict[str, target.Target] = {}
    for line in sys.stdin:
        answers.write(json.dumps(_answer(json.loads(line), made)) + '\n')
        answers.flush()
