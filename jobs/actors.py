"""The actor registry: every Dramatiq actor of hitbot, bound to whichever broker the
process set up (jobs.broker.setup_broker). Declaring through `actor` instead of
`dramatiq.actor` keeps an import from creating Dramatiq's default localhost broker."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

# Actors are declared here until setup_broker() re-binds them to the real broker.
_placeholder = StubBroker()
_registry: dict[str, dramatiq.Actor] = {}



def actor(fn: Callable | None = None, *, actor_name: str | None = None, queue_name: str = "default",
          priority: int = 0, **options: Any):
    def decorator(fn: Callable) -> dramatiq.Actor:
        name = actor_name or fn.__name__
        if name in _registry:
            return _registry[name]
        a = dramatiq.Actor(fn, broker=_placeholder, actor_name=name, queue_name=queue_name,
                           priority=priority, options=options)
        _registry[name] = a
        return a

    return decorator(fn) if fn is not None else decorator


def all_actors() -> list[dramatiq.Actor]:
    """Every actor: those declared with `actor`, and any dramatiq.Actor the actor modules define.
    Imported here, not at the top: each of them imports `actor` from this module."""
    from jobs import batches, cards, delivery, exports, mturk_events
    from jobs.payouts import actor as payouts

    found = dict(_registry)
    for module in (delivery, cards, payouts, batches, exports, mturk_events):
        for value in vars(module).values():
            if isinstance(value, dramatiq.Actor):
                found.setdefault(value.actor_name, value)
    return list(found.values())


@actor(queue_name="default", max_retries=0)
def noop() -> None:
    """Does nothing: the baseline a benchmark compares real actors with."""
