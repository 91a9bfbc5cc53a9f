"""The short form of ``make soak``: bench/soak.py for about 20 seconds with 8
connections, one worker killed and the database connections cut once, on a
database of its own; every check of the long form must hold (its exit status)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.soak


def test_a_short_soak_loses_nothing(request, database_url):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("the soak runs gunicorn on PostgreSQL (run with --db postgres)")
    server = sa.make_url(database_url).set(drivername="postgresql", database=None)
    env = {
        **os.environ,
        "BENCH_PG": server.render_as_string(hide_password=False),
        "SOAK_SECONDS": "20",
        "SOAK_CONNECTIONS": "8",
        "SOAK_WORKERS": "3",
        "SOAK_KILLS": "1",
        "SOAK_CUTS": "1",
        "SOAK_REQUESTS": "50",
        "SOAK_REPORT": "",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "problems=0" in output, output
    assert "writes lost: 0" in output, output
    assert "SIGKILL worker" in output, output
    assert "terminated" in output, output
