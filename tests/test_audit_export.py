"""The auditor's export (``export-audit``), checked offline with the code that
docs/operations.md gives, and the audit API's ``from`` and ``to``."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from procure import audit
from procure.audit import GENESIS

from .factories import Factories

DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
TIMES = {
    "before": dt.datetime(2020, 3, 1, 10, 0),
    "first": dt.datetime(2020, 3, 2, 0, 0),
    "second": dt.datetime(2020, 3, 2, 9, 30, 0, 120911),
    "last": dt.datetime(2020, 3, 3, 23, 59, 59, 999999),
    "after": dt.datetime(2020, 3, 4, 0, 0),
}


def documented_verifier() -> str:
    """The Python block of docs/operations.md's "The auditor's export"."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## The auditor's export", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the section gives one Python block"
    return blocks[0]


def verify_offline(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 -- our own interpreter, the documented code
        [sys.executable, "-c", documented_verifier(), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def events(db):
    """Five events recorded at the times of ``TIMES``, in that order."""
    recorded = {}
    for name, at in TIMES.items():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(audit, "utcnow", lambda at=at: at)
            recorded[name] = audit.record(
                "vendor",
                7,
                "update",
                actor=None,
                changes={"name": ["Old", f"New «{name}»"]},
                comment=f'the {name} event, with "quotes" and a line\nbreak',
            )
    db.session.commit()
    return recorded


def export(runner, path: Path, start: str, end: str, *extra: str):
    return runner.invoke(args=["export-audit", "--from", start, "--to", end, *extra, str(path)])


def test_export_a_period_and_verify_it_offline(runner, events, tmp_path):
    path = tmp_path / "audit.jsonl"

    result = export(runner, path, "2020-03-02", "2020-03-03")

    assert result.exit_code == 0, result.output
    first, last = events["first"], events["last"]
    assert result.output.splitlines() == [
        f"exported 3 events (events {first.id} to {last.id}) to {path}",
        f"hash before the first {events['before'].hash}",
        f"hash of the last {last.hash}",
    ]
    header, *lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert header["format"] == "procure-audit-export/1"
    assert (header["from"], header["to"]) == ("2020-03-02", "2020-03-03")
    assert header["prev_hash"] == events["before"].hash
    assert (header["first_id"], header["last_id"], header["count"]) == (first.id, last.id, 3)
    assert [line["id"] for line in lines] == [first.id, events["second"].id, last.id]
    assert lines[1]["at"] == "2020-03-02T09:30:00.120911"
    assert lines[1]["comment"] == 'the second event, with "quotes" and a line\nbreak'
    assert [line["hash"] for line in lines] == [first.hash, events["second"].hash, last.hash]

    checked = verify_offline(path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == (
        f"ok 3 events; the hash before the first {events['before'].hash}; the last {last.hash}"
    )


@pytest.mark.parametrize(
    "tamper, complaint",
    [
        (lambda e: e.update(comment="nothing to see here"), "does not match its hash"),
        (lambda e: e.update(changes='{"name":["Old","Other"]}'), "does not match its hash"),
        (lambda e: e.update(actor_id=1), "does not match its hash"),
        (lambda e: e.update(at="2020-03-02T09:30:01.120911"), "does not match its hash"),
    ],
    ids=["comment", "changes", "actor", "time"],
)
def test_changing_one_line_is_detected(runner, events, tmp_path, tamper, complaint):
    path = tmp_path / "audit.jsonl"
    assert export(runner, path, "2020-03-02", "2020-03-03").exit_code == 0
    header, first, second, last = path.read_text("utf-8").splitlines()
    event = json.loads(second)
    tamper(event)
    path.write_text("\n".join([header, first, json.dumps(event), last]) + "\n", "utf-8")

    checked = verify_offline(path)

    assert checked.returncode == 1
    assert checked.stderr.strip() == f"line 3: event {event['id']} {complaint}"


def test_removing_or_reordering_lines_is_detected(runner, events, tmp_path):
    path = tmp_path / "audit.jsonl"
    assert export(runner, path, "2020-03-02", "2020-03-03").exit_code == 0
    header, first, second, last = path.read_text("utf-8").splitlines()
    last_id = events["last"].id

    path.write_text("\n".join([header, first, last]) + "\n", "utf-8")
    removed = verify_offline(path)
    assert removed.returncode == 1
    assert removed.stderr.strip() == f"line 3: event {last_id} does not follow the one before"

    path.write_text("\n".join([header, first, second]) + "\n", "utf-8")
    cut_short = verify_offline(path)
    assert cut_short.returncode == 1
    assert cut_short.stderr.strip() == "3 events announced, 2 found"


def test_a_period_without_events_and_bad_arguments(runner, events, tmp_path):
    path = tmp_path / "empty.jsonl"
    result = export(runner, path, "1999-01-01", "1999-12-31")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"exported 0 events (no events) to {path}"
    header = json.loads(path.read_text("utf-8"))
    assert (header["count"], header["first_id"], header["prev_hash"]) == (0, None, GENESIS)
    assert verify_offline(path).stdout.startswith("ok 0 events")

    again = export(runner, path, "1999-01-01", "1999-12-31")
    assert again.exit_code == 1
    assert "exists; add --force to replace it" in again.output
    assert export(runner, path, "2020-03-02", "2020-03-02", "--force").exit_code == 0
    assert json.loads(path.read_text("utf-8").splitlines()[0])["count"] == 2

    backwards = export(runner, tmp_path / "x.jsonl", "2020-03-03", "2020-03-02")
    assert backwards.exit_code == 2
    assert "must not be after --to" in backwards.output
    assert not (tmp_path / "x.jsonl").exists()
    malformed = export(runner, tmp_path / "x.jsonl", "2020-02-30", "2020-03-02")
    assert malformed.exit_code == 2
    assert "--from" in malformed.output


# The API ------------------------------------------------------------------------------------


def test_the_audit_api_takes_from_and_to(client, db, events):
    token = Factories(db).token(Factories(db).user(["finance"]))
    headers = {"Authorization": f"Bearer {token}"}

    def ids(**query):
        response = client.get("/api/v1/audit", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(**{"from": "2020-03-02", "to": "2020-03-02"}) == [
        events["first"].id,
        events["second"].id,
    ]
    assert ids(**{"from": "2020-03-03", "to": "2020-03-04"}) == [
        events["last"].id,
        events["after"].id,
    ]
    assert ids(to="2020-03-01", entity="vendor")[-1] == events["before"].id
    assert events["first"].id not in ids(to="2020-03-01")
    assert ids(**{"from": "2020-03-04", "entity": "vendor"})[0] == (events["after"].id)


@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "2020-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2020-02-30"}, "to"),
        ({"from": "2020-03-03", "to": "2020-03-02"}, "to"),
    ],
)
def test_bad_days_are_refused(client, db, query, field):
    token = Factories(db).token(Factories(db).user(["admin"]))
    response = client.get(
        "/api/v1/audit", query_string=query, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
