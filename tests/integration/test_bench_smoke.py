"""The core benchmark runs end to end at tiny sizes (its figures are not checked, only that
it produces them), and its BENCHMARKS.md writer keeps everyone else's sections."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import write_section

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_core_bench_runs_at_tiny_sizes_and_prints_its_figures():
    args = [sys.executable, "-m", "bench.core_bench", "--sizes", "60,120", "--repeats", "2", "--threads", "1,4",
            "--no-write"]
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        args += ["--pg", pg]
    before = (ROOT / "BENCHMARKS.md").read_text() if (ROOT / "BENCHMARKS.md").exists() else None
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"accept: +4 threads, \d+ slots: \d+ accepts/s", out), out
    assert re.search(r"commits: synchronous=(full|on): \d+/s", out), out
    assert re.search(r"browse +120 open: p50 [\d.]+ ms, p99 [\d.]+ ms", out), out
    assert "browse with 10 requirements per HIT" in out and "growth p99 120 vs 60" in out, out
    after = (ROOT / "BENCHMARKS.md").read_text() if (ROOT / "BENCHMARKS.md").exists() else None
    assert after == before  # --no-write


def test_write_section_replaces_only_its_own_part(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n<!-- bench:jobs -->\njobs figures\n<!-- /bench:jobs -->\n")
    write_section("core", "sqlite v1", part="sqlite", path=path)
    write_section("core", "postgres v1", part="postgresql", path=path)
    write_section("core", "sqlite v2", part="sqlite", path=path)
    text = path.read_text()
    assert "jobs figures" in text
    assert "sqlite v2" in text and "sqlite v1" not in text and "postgres v1" in text
    assert text.count("<!-- bench:core -->") == 1 and text.count("<!-- core:sqlite -->") == 1
    assert text.index("<!-- bench:jobs -->") < text.index("<!-- bench:core -->")
