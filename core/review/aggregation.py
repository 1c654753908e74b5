"""Combining several workers' answers: majority vote with agreement, and Dawid-Skene.

Dawid-Skene is written here (about 50 lines, tested against a worked example) rather than
taken from crowd-kit, whose dependency tree (pandas, scikit-learn, ...) outweighs it."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable

from core.numbers import percent


def _key(value: object) -> Hashable:
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


def majority_vote(values: Iterable[object]) -> tuple[object | None, int]:
    """The most common answer and the share of answers that agree with it (%).
    Ties go to the answer seen first, so the result is stable."""
    values = list(values)
    if not values:
        return None, 0
    counts = Counter(_key(v) for v in values)
    first_seen = {}
    for v in values:
        first_seen.setdefault(_key(v), v)
    best = max(counts, key=lambda k: (counts[k], -list(first_seen).index(k)))
    return first_seen[best], percent(counts[best], len(values))


def dawid_skene(labels: Iterable[tuple[Hashable, Hashable, Hashable]], iterations: int = 50,
                tolerance: float = 1e-6) -> dict[Hashable, tuple[Hashable, float]]:
    """Estimate each item's true label from (item, worker, label) triples.

    Expectation-maximisation over per-worker confusion matrices (Dawid & Skene, 1979),
    started from majority vote. Returns item -> (most likely label, its probability)."""
    triples = list(labels)
    if not triples:
        return {}
    classes = sorted({l for _, _, l in triples}, key=str)
    items = sorted({i for i, _, _ in triples}, key=str)
    by_item: dict[Hashable, list[tuple[Hashable, Hashable]]] = defaultdict(list)
    for item, worker, label in triples:
        by_item[item].append((worker, label))
    # Start: soft majority vote.
    post = {}
    for item in items:
        c = Counter(l for _, l in by_item[item])
        total = sum(c.values())
        post[item] = {k: c.get(k, 0) / total for k in classes}
    for _ in range(iterations):
        # M-step: class priors and each worker's confusion matrix (with light smoothing).
        prior = {k: (sum(post[i][k] for i in items) + 0.01) for k in classes}
        norm = sum(prior.values())
        prior = {k: v / norm for k, v in prior.items()}
        conf: dict[Hashable, dict[Hashable, dict[Hashable, float]]] = defaultdict(
            lambda: {t: {o: 0.01 for o in classes} for t in classes})
        for item in items:
            for worker, label in by_item[item]:
                for t in classes:
                    conf[worker][t][label] += post[item][t]
        for worker in conf:
            for t in classes:
                row = sum(conf[worker][t].values())
                conf[worker][t] = {o: v / row for o, v in conf[worker][t].items()}
        # E-step: posterior over the true class of each item.
        delta = 0.0
        for item in items:
            scores = {}
            for t in classes:
                p = prior[t]
                for worker, label in by_item[item]:
                    p *= conf[worker][t][label]
                scores[t] = p
            total = sum(scores.values()) or 1.0
            new = {t: s / total for t, s in scores.items()}
            delta = max(delta, max(abs(new[t] - post[item][t]) for t in classes))
            post[item] = new
        if delta < tolerance:
            break
    result = {}
    for item in items:
        best = max(classes, key=lambda t: (post[item][t], -classes.index(t)))
        result[item] = (best, post[item][best])
    return result
