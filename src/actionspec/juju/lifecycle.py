"""What a Juju controller has its unit agents run as a model changes: a new unit's start-up
hooks, a relation's hooks as units enter and leave it, a unit's way out, update-status.

`model.Model` runs hooks (one at a time per unit, in order, actions first); this module
decides which, in the order Juju 3.6's uniter resolves them. Each unit goes its own way:
there is no order across units, as there is none in Juju.

Sources (juju/juju 3.6): internal/worker/uniter/resolver.go (`NextOp`, `nextOp`),
relation/resolver.go (`createdRelationsResolver`, `nextHookForRelation`: joined then
changed per remote unit, in string order; departed then broken; no broken for a peer
relation when a unit leaves), leadership/resolver.go, operation/runhook.go (the statuses
set around install, start, stop and remove; update-status leaves the agent idle),
worker/uniter/timer.go (update-status every interval, 0.8 to 1.2 of it).
"""

from __future__ import annotations

import datetime
import random

from . import model as model_


def add_units(m: model_.Model, app_name: str, count: int) -> list[model_.Unit]:
    """`juju deploy -n N` / `juju add-unit`: new units that start as Juju starts them
    (install, relation-created, leader-elected or leader-settings-changed, config-changed,
    start, then a joined and a changed for each unit already in each relation)."""
    follow(m)
    app = m.applications[app_name]
    for relation in _relations(m, app_name):
        if relation.joined is None and relation.is_peer and not app.units:
            relation.joined = {}  # a fresh application's peers join one by one
    added = []
    for _ in range(count):
        unit = m.add_unit(app_name, installed=False)
        unit.started = False
        unit.status = ('waiting', 'agent initialising')
        unit.agent_status = ('allocating', '')
        if app.leader is None:  # the first to claim the lease (before install)
            app.leader = unit.name
        m.queue_hook(unit, 'install')
        added.append(unit)
    m.advance()
    return added


def follow(m: model_.Model) -> None:
    """Have the model tell this module of every hook that ran, so what Juju runs next
    is queued (once per model; again for a model read back from disk)."""
    if _next not in m.hook_listeners:
        m.hook_listeners.append(_next)


def _next(m: model_.Model, hook: model_.Hook) -> None:
    """What the uniter resolves after a hook ran cleanly: the rest of a new unit's start
    after install; a unit leaves a relation after relation-broken, and the model after
    remove."""
    unit = hook.unit
    if hook.name == 'install':
        _installed(m, unit)
    elif hook.name == 'remove':
        _dead(m, unit)
    elif hook.relation is not None and hook.name.endswith('-relation-broken'):
        _left(m, unit, hook.relation)


def _installed(m: model_.Model, unit: model_.Unit) -> None:
    if unit.life != 'alive':  # removed while it installed: it goes straight on out
        return
    relations = [r for r in _relations(m, unit.application.name) if r.joined is not None]
    for relation in relations:
        _enter_scope(m, unit, relation, greet=False)
    leader = unit.application.leader == unit.name
    m.queue_hook(unit, 'leader-elected' if leader else 'leader-settings-changed')
    m.queue_hook(unit, 'config-changed')
    m.queue_hook(unit, 'start')
    for relation in relations:
        for remote in _in_scope_across(relation, unit):
            _join(m, unit, relation, remote)


def integrate(m: model_.Model, first: str, second: str) -> model_.Relation:
    """`juju integrate`: each installed unit on either side enters the relation
    (relation-created), then learns of each unit on the other side (joined, changed)."""
    follow(m)
    relation = m.relate(first, second)
    relation.joined = {}
    for app_name in relation.applications:
        for unit in list(m.applications[app_name].units.values()):
            if unit.installed and unit.life == 'alive':
                _enter_scope(m, unit, relation, greet=True)
    m.advance()
    return relation


def remove_relation(m: model_.Model, relation: model_.Relation) -> None:
    """`juju remove-relation`: every unit in it departs from each unit it knew, then runs
    relation-broken and leaves; the relation goes when the last unit has left."""
    assert relation.joined is not None
    for unit_name in sorted(relation.joined):
        unit = m.unit(unit_name)
        for remote in sorted(relation.joined[unit_name]):
            _depart(m, unit, relation, remote, departing=remote)
        _break(m, unit, relation)
    relation.dying = True
    m.advance()


def remove_unit(m: model_.Model, unit: model_.Unit) -> None:
    """`juju remove-unit`: the others see it depart at once; it departs from every unit
    it knew (relation-broken too, but not for a peer relation), runs stop and remove,
    and is gone; if it led, another unit is elected and runs leader-elected."""
    unit.life = 'dying'
    _seen_to_leave(m, unit)
    for relation in _relations(m, unit.application.name):
        if relation.joined is None or unit.name not in relation.joined:
            continue
        for remote in sorted(relation.joined[unit.name]):
            _depart(m, unit, relation, remote, departing=unit.name)
        if not relation.is_peer:
            _break(m, unit, relation)
    m.queue_hook(unit, 'stop')
    m.queue_hook(unit, 'remove')
    m.advance()


def remove_application(m: model_.Model, app: model_.Application) -> None:
    """`juju remove-application`: its relations are removed, each unit leaves as
    `remove_unit` has it, and the application goes with its last unit."""
    app.dying = True
    for relation in _relations(m, app.name):
        if not relation.is_peer and relation.joined is not None:
            remove_relation(m, relation)
    for unit in list(app.units.values()):
        if unit.life == 'alive':
            remove_unit(m, unit)
    if not app.units:
        m.remove_application(app)


def _knows(
    m: model_.Model, unit: model_.Unit, relation: model_.Relation, remote: str, seen: list[str]
) -> bool:
    """Whether `unit` knows `remote` in `relation`, or is about to (a joined is queued)."""
    if remote in seen:
        return True
    return any(
        h.relation is relation and h.remote_unit == remote and h.name.endswith('-joined')
        for h in m.pending(unit)
    )


def force_remove_unit(m: model_.Model, unit: model_.Unit) -> None:
    """`juju remove-unit --force`: the unit goes whatever its hooks do; the others see it
    depart, and another unit takes the lead if it led."""
    unit.life = 'dying'
    _seen_to_leave(m, unit)
    _dead(m, unit)
    m.advance()


def _seen_to_leave(m: model_.Model, unit: model_.Unit) -> None:
    """Every unit that knows `unit` in a relation (or is about to) sees it depart."""
    for relation in _relations(m, unit.application.name):
        if relation.joined is None or unit.name not in relation.joined:
            continue
        for other, seen in list(relation.joined.items()):
            if other != unit.name and _knows(m, m.unit(other), relation, unit.name, seen):
                _depart(m, m.unit(other), relation, unit.name, departing=unit.name)


def _dead(m: model_.Model, unit: model_.Unit) -> None:
    app = unit.application
    led = app.leader == unit.name
    m.remove_unit(unit)
    if app.dying and not app.units:
        m.remove_application(app)
        return
    if led:  # the lease is revoked once the unit is dead; another claims it
        heirs = [u for u in app.units.values() if u.life == 'alive']
        if heirs:
            heir = min(heirs, key=lambda u: u.number)
            app.leader = heir.name
            if heir.installed:
                m.queue_hook(heir, 'leader-elected')


def queue_update_status(m: model_.Model, interval: float, seed: str = '') -> None:
    """Queue update-status on each started unit whose timer has run out, and set its
    next one (0.8 to 1.2 of `interval`, drawn from the unit's own sequence, so a box run
    repeats). It never runs before start, in error, while dying, or behind other hooks;
    an interval that is not positive (Juju 3.6 lets one through) runs none."""
    if interval <= 0:
        return
    now = m.clock.now()
    for app in m.applications.values():
        for unit in app.units.values():
            due = m.update_status_due.get(unit.name)
            if due is None or not unit.started:
                m.update_status_due[unit.name] = now + _interval(interval, unit.name + seed)
                continue
            if now < due:
                continue
            m.update_status_due[unit.name] = now + _interval(interval, f'{unit.name}{seed}{now}')
            if unit.failed_hook is None and unit.life == 'alive' and m.idle(unit):
                m.queue_hook(unit, 'update-status')


def _interval(seconds: float, seed: str) -> datetime.timedelta:
    return datetime.timedelta(seconds=seconds * random.Random(seed).uniform(0.8, 1.2))


# -- scope --------------------------------------------------------------------------------


def _relations(m: model_.Model, app_name: str) -> list[model_.Relation]:
    return [r for r in m.relations.values() if app_name in r.applications and not r.dying]


def _in_scope_across(relation: model_.Relation, unit: model_.Unit) -> list[str]:
    """The units on the other side (the other peers) that are in the relation, in the
    order the uniter takes them (string order, so `app/10` before `app/2`)."""
    assert relation.joined is not None
    own = unit.application.name
    return sorted(
        name
        for name in relation.joined
        if name != unit.name and (relation.is_peer or not name.startswith(f'{own}/'))
    )


def _enter_scope(
    m: model_.Model, unit: model_.Unit, relation: model_.Relation, *, greet: bool
) -> None:
    """`unit` enters the relation and runs relation-created; the units already in it learn
    of it (joined, changed) and, with `greet`, it learns of them at once."""
    assert relation.joined is not None
    relation.joined.setdefault(unit.name, [])
    m.queue_hook(
        unit,
        relation.hook_name(unit.application.name, 'created'),
        relation=relation,
        remote_app=relation.remote_app(unit.application.name),
    )
    for other in _in_scope_across(relation, unit):
        _join(m, m.unit(other), relation, unit.name)
        if greet:
            _join(m, unit, relation, other)


def _join(m: model_.Model, unit: model_.Unit, relation: model_.Relation, remote: str) -> None:
    """`unit` learns that `remote` joined: relation-joined, then relation-changed."""
    for kind in ('joined', 'changed'):
        m.queue_hook(
            unit,
            relation.hook_name(unit.application.name, kind),
            relation=relation,
            remote_unit=remote,
            remote_app=remote.partition('/')[0],
        )


def _depart(
    m: model_.Model, unit: model_.Unit, relation: model_.Relation, remote: str, *, departing: str
) -> None:
    m.queue_hook(
        unit,
        relation.hook_name(unit.application.name, 'departed'),
        relation=relation,
        remote_unit=remote,
        remote_app=remote.partition('/')[0],
        departing_unit=departing,
    )


def _break(m: model_.Model, unit: model_.Unit, relation: model_.Relation) -> None:
    """`unit` runs relation-broken, after which it is out of the relation (`_left`)."""
    m.queue_hook(
        unit,
        relation.hook_name(unit.application.name, 'broken'),
        relation=relation,
        remote_app=relation.remote_app(unit.application.name),
    )


def _left(m: model_.Model, unit: model_.Unit, relation: model_.Relation) -> None:
    """`unit` has run relation-broken: it is out; a relation being removed goes with the
    last unit in it."""
    assert relation.joined is not None
    relation.joined.pop(unit.name, None)
    if relation.dying and not relation.joined:
        m.remove_relation(relation)
