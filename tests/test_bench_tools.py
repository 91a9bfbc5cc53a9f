"""The benchmarks' pure helpers (bench/harness.py): no server, no timing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "bench" / "harness.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("bench_harness_under_test", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40123/requests
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    95.12ms   20.01ms 301.00ms   80.00%
  1690 requests in 10.00s, 21.3MB read
  Non-2xx or 3xx responses: 12
Requests/sec:    168.98
BENCH ok=1678 bad=12 requests=1690 duration_us=10004000 errors=1 p50_us=91250 p99_us=180500
"""


def test_wrk_report_counts_only_2xx_as_throughput(harness):
    result = harness.parse_wrk_report(WRK_OUTPUT)
    assert (result.ok, result.bad, result.requests, result.errors) == (1678, 12, 1690, 1)
    assert result.seconds == pytest.approx(10.004)
    assert result.rps == pytest.approx(1678 / 10.004)
    assert (result.p50_ms, result.p99_ms) == (pytest.approx(91.25), pytest.approx(180.5))


def test_wrk_report_without_the_bench_line_is_a_clear_error(harness):
    with pytest.raises(harness.BenchError, match="no BENCH line"):
        harness.parse_wrk_report("unable to connect to 127.0.0.1:1 Connection refused\n")
    with pytest.raises(harness.BenchError, match="unreadable BENCH line"):
        harness.parse_wrk_report("BENCH ok=1 bad=x\n")


DOC = """\
# Performance

## HTTP throughput

Written by hand.

<!-- bench:http -->
old figures
<!-- /bench:http -->

Analysis by hand.
"""


def test_a_section_is_replaced_between_its_markers_only(harness):
    result = harness.replace_section(DOC, "http", "| new | figures |", "HTTP throughput")
    assert "old figures" not in result
    assert "<!-- bench:http -->\n| new | figures |\n<!-- /bench:http -->" in result
    assert result.startswith("# Performance\n\n## HTTP throughput\n\nWritten by hand.\n")
    assert result.endswith("<!-- /bench:http -->\n\nAnalysis by hand.\n")
    assert harness.replace_section(result, "http", "| new | figures |", "x") == result


def test_a_missing_section_is_appended_under_its_title(harness):
    result = harness.replace_section(DOC, "scale", "figures", "Scale (`bench/scale.py`)")
    assert result.startswith(DOC)
    assert result.endswith(
        "\n\n## Scale (`bench/scale.py`)\n\n<!-- bench:scale -->\nfigures\n<!-- /bench:scale -->\n"
    )


def test_unmatched_markers_are_refused(harness):
    broken = DOC.replace("<!-- /bench:http -->", "")
    with pytest.raises(harness.BenchError, match="one matched pair"):
        harness.replace_section(broken, "http", "x", "HTTP")


PAGER = """
<span>1,180 in all · page 1 of 48</span>
<a class="page-link" href="#" rel="prev">Previous</a>
<a class="page-link" href="/requests?status=closed&amp;page=2" rel="next">Next</a>
"""


def test_a_numbered_pager_jumps_to_its_last_page(harness):
    assert harness.deep_page_target(PAGER, "/requests?status=closed") == (
        "url",
        "/requests?status=closed&page=48",
    )


def test_a_last_link_is_taken_as_it_is(harness):
    page = PAGER + '<a href="/requests?status=closed&amp;after=PR-9" rel="last">Last</a>'
    assert harness.deep_page_target(page, "/x") == ("url", "/requests?status=closed&after=PR-9")


def test_a_cursor_pager_is_followed_and_the_end_is_noticed(harness):
    cursor = (
        '<a class="page-link" href="/requests?status=closed&amp;after=812" rel="next">Next</a>'
    )
    assert harness.deep_page_target(cursor, "/requests") == (
        "next",
        "/requests?status=closed&after=812",
    )
    keyset = PAGER.replace("page=2", "page=2&amp;after=812")
    assert harness.deep_page_target(keyset, "/requests?status=closed") == (
        "next",
        "/requests?status=closed&page=2&after=812",
    )
    last = '<a class="page-link" href="#" rel="next">Next</a>'
    assert harness.deep_page_target(last, "/requests?after=9") == ("end", "/requests?after=9")


def test_database_names_follow_the_size(harness):
    assert harness.database_name(10_000) == "seedbench_10k"
    assert harness.database_name(1_000_000) == "seedbench_1m"
    assert harness.database_name(2_500) == "seedbench_2500"


def test_markdown_table(harness):
    assert harness.markdown_table(["a", "b"], [[1, "x"]]) == "| a | b |\n|---|---|\n| 1 | x |"


def test_bad_sizes_in_the_environment_are_refused(harness, monkeypatch):
    monkeypatch.setenv("BENCH_SECONDS", "ten")
    with pytest.raises(harness.BenchError, match="BENCH_SECONDS must be a whole number"):
        harness.env_int("BENCH_SECONDS", 10)
    monkeypatch.setenv("BENCH_SECONDS", "1_000")
    assert harness.env_int("BENCH_SECONDS", 10) == 1000
