"""bench/bot_bench.py runs end to end at a tiny size (figures are not checked, only that
every session ends submitted and the figures are printed) and leaves BENCHMARKS.md alone
with --no-write."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bot_bench_runs_a_tiny_mix_and_prints_its_figures(tmp_path):
    before = (ROOT / "BENCHMARKS.md").read_text() if (ROOT / "BENCHMARKS.md").exists() else None
    args = [sys.executable, "-m", "bench.bot_bench", "--sessions", "6", "--runs", "1", "--hits", "2", "--no-write"]
    if os.environ.get("TEST_DATABASE_URL"):
        args += ["--pg", os.environ["TEST_DATABASE_URL"]]
    env = {**os.environ, "HITBOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"echo: 36 updates, \d+ updates/s, p50 [\d.]+ ms, p99 [\d.]+ ms", out), out
    assert re.search(r"worker mix: 36 updates, \d+ updates/s, p50 [\d.]+ ms, p99 [\d.]+ ms; ratio to echo [\d.]+",
                     out), out
    for kind in ("browse", "preview", "accept", "answer (button)", "answer (typed)", "submit"):
        assert re.search(rf"  {re.escape(kind)} +p50 +[\d.]+ ms  p99 +[\d.]+ ms +\d+ SQL statements", out), kind
    after = (ROOT / "BENCHMARKS.md").read_text() if (ROOT / "BENCHMARKS.md").exists() else None
    assert after == before
