"""How long hostile documents take to be refused, and the memory they cost: alias bombs,
deep nesting (YAML and JSON), huge exponents in amounts. The unit tests bound the memory
(deterministic); the time lives here, since a loaded machine would make a timed test flaky.

    python -m bench.hostile_bench [--rounds N] [--no-write]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

from bench import write_section


def bomb(levels: int) -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijk"
    for prev, name in zip(names, names[1:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def cases() -> list[tuple[str, Callable[[], object]]]:
    from core.hits.spec_files import load_spec_document
    from core.money import parse_amount

    deep_yaml = b"title: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    deep_json = b'{"title": ' + b"[" * 20000 + b"]" * 20000 + b"}"
    indented = "".join(f"{' ' * i}k{i}:\n" for i in range(200)).encode() + b" " * 200 + b"x: 1\n"
    return [
        (f"alias bomb, 7 levels ({len(bomb(7))} bytes)", lambda: load_spec_document(bomb(7), "bomb.yaml")),
        (f"alias bomb, 9 levels ({len(bomb(9))} bytes)", lambda: load_spec_document(bomb(9), "bomb.yaml")),
        ("YAML flow nesting, 5,000 levels", lambda: load_spec_document(deep_yaml, "deep.yaml")),
        ("YAML block nesting, 200 levels", lambda: load_spec_document(indented, "deep.yml")),
        ("JSON nesting, 20,000 levels", lambda: load_spec_document(deep_json, "deep.json")),
        ("amount 1e999999999", lambda: parse_amount("1e999999999", "USD", field="reward")),
    ]


def measure(fn: Callable[[], object], rounds: int) -> tuple[float, float, int]:
    """(median ms, worst ms, peak bytes) of refusing one document."""
    from core.errors import ValidationFailed

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            fn()
        except ValidationFailed:
            pass
        else:
            raise AssertionError("a hostile document was accepted")
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    try:
        fn()
    except Exception:  # noqa: BLE001 - refused, as measured above
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), max(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = ["| document | median | worst | peak memory |", "|---|---|---|---|"]
    for name, fn in cases():
        median, worst, peak = measure(fn, args.rounds)
        rows.append(f"| {name} | {median:.2f} ms | {worst:.2f} ms | {peak / 1024:.0f} KiB |")
        print(rows[-1])
    load = os.getloadavg()[0]
    body = "\n".join([
        "## Hostile documents",
        "",
        f"`python -m bench.hostile_bench` ({args.rounds} rounds each; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f}). Each is refused "
        "before anything is built; the unit tests bound the memory, this the time.",
        "",
        *rows,
    ])
    if not args.no_write:
        write_section("hostile", body)


if __name__ == "__main__":
    main()
