"""Schemathesis against the app's own ``/api/v1/openapi.json``: every operation.

Each operation gets ``PROCURE_FUZZ_EXAMPLES`` generated calls (default 15) with
schema-valid input and as many with schema-invalid input, as a user holding
every role and again as a plain requester, over the demo organisation (ids in
the paths often name rows that exist). Every answer must be no 5xx, a status
code the operation documents, the documented content type, a body matching the
documented schema, every 4xx in the error format of API.md, and schema-invalid
input must be refused.

The seed is fixed (``derandomize``) unless ``PROCURE_FUZZ_SEED`` is set (a
number, or ``random``); ``make fuzz`` runs many more examples with a random
seed and prints what it tried (``-s``). Findings are collected over all
operations and reported together, each with a curl command to replay it.
"""

from __future__ import annotations

import collections
import os
import random
import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from procure import demo
from procure.models import Role

_examples = os.environ.get("PROCURE_FUZZ_EXAMPLES", "15")
if not _examples.isdigit() or int(_examples) < 1:
    raise pytest.UsageError(f"PROCURE_FUZZ_EXAMPLES must be a positive number, not {_examples!r}")
EXAMPLES = int(_examples)


def _base_seed(setting: str) -> int | None:
    """None: hypothesis' fixed derandomised seed. Operation number i uses base + i."""
    if not setting:
        return None
    if setting == "random":
        return random.SystemRandom().randrange(2**31)
    if not setting.isdigit():
        raise pytest.UsageError(f"PROCURE_FUZZ_SEED must be a number or 'random', not {setting!r}")
    return int(setting)


BASE_SEED = _base_seed(os.environ.get("PROCURE_FUZZ_SEED", ""))
# The demo organisation's rows have small ids: drawn from here, a path id names
# an existing document often enough to get past the 404.
EXISTING_IDS = st.integers(min_value=1, max_value=25)

POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]


@dataclass
class Tally:
    calls: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    findings: dict[str, str] = field(default_factory=dict)
    seed: int | None = None


def error_format_problem(response) -> str | None:
    """Why a 4xx body is not ``{"error": {"code", "message", "fields"?}}``, or None."""
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"error"}:
        return f"not an error object: {response.get_data(as_text=True)[:200]!r}"
    error = body["error"]
    if not isinstance(error, dict):
        return "'error' is not an object"
    if not isinstance(error.get("code"), str) or not error["code"]:
        return "no 'code' string"
    if not isinstance(error.get("message"), str) or not error["message"]:
        return "no 'message' string"
    extra = set(error) - {"code", "message", "fields"}
    if extra:
        return f"unexpected keys {sorted(extra)}"
    fields = error.get("fields")
    if fields is not None and not (
        isinstance(fields, dict)
        and all(
            isinstance(messages, list) and all(isinstance(m, str) for m in messages)
            for messages in fields.values()
        )
    ):
        return "'fields' is not {name: [message, ...]}"
    return None


def _drops_authorization(case) -> bool:
    """Whether this schema-invalid case is about a missing or broken Authorization
    header: then the caller's token must not be put back."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    for mutation in getattr(data, "mutations", None) or []:
        if str(getattr(mutation, "parameter", "") or "").lower() == "authorization":
            return True
    return str(getattr(data, "parameter", "") or "").lower() == "authorization"


def fuzz_operation(operation, mode: GenerationMode, client, headers, index: int) -> Tally:
    tally = Tally()
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else POSITIVE_CHECKS
    int_params = [
        p["name"]
        for p in operation.definition.raw.get("parameters", [])
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    ]

    def run(case, existing: dict[str, int] | None) -> None:
        if existing:
            case.path_parameters = {**(case.path_parameters or {}), **existing}
        sent = {} if _drops_authorization(case) else headers
        response = case.call(session=client, headers=sent)
        tally.calls += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=sent)
        except FailureGroup as group:  # every check that failed
            for failure in group.exceptions:
                what = f"{failure.title}: {' '.join(str(failure.message).split())[:300]}"
                tally.findings.setdefault(what, case.as_curl_command(sent))
        if 400 <= response.status_code < 500:
            problem = error_format_problem(_Wrapped(response))
            if problem:
                what = f"{response.status_code} body: {problem}"
                tally.findings.setdefault(what, case.as_curl_command(sent))

    # Schema-invalid ids never name a row: only valid input is steered to existing rows.
    if int_params and mode is GenerationMode.POSITIVE:
        strategy = st.tuples(
            operation.as_strategy(generation_mode=mode),
            st.one_of(
                st.none(),
                st.fixed_dictionaries({name: EXISTING_IDS for name in int_params}),
            ),
        )
    else:
        strategy = st.tuples(operation.as_strategy(generation_mode=mode), st.none())

    chosen = None if BASE_SEED is None else BASE_SEED + index

    @settings(
        max_examples=EXAMPLES,
        derandomize=chosen is None,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(drawn=strategy)
    def explore(drawn) -> None:
        run(*drawn)

    if chosen is not None:
        explore = seed(chosen)(explore)
    explore()
    tally.seed = chosen
    return tally


class _Wrapped:
    """Schemathesis' response with the Flask test response's ``get_json``/``get_data``."""

    def __init__(self, response) -> None:
        self.response = response

    def get_json(self, silent: bool = True):
        try:
            return self.response.json()
        except Exception:
            return None

    def get_data(self, as_text: bool = False):
        return self.response.text if as_text else self.response.content


def _user_with_every_role(make):
    return make.user(
        roles=[role.value for role in Role], department="IT", email="fuzz.all@example.org"
    )


@pytest.fixture
def organisation(db):
    """The demo organisation, inside the test's transaction (rolled back afterwards)."""
    demo.seed_all()
    db.session.commit()


def test_every_operation_answers_as_documented(app, client, make, organisation, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 50, "the OpenAPI document lost its operations"

    users = {
        "every role": _user_with_every_role(make),
        "requester": make.user(roles=["requester"], department="OPS"),
    }
    started = time.monotonic()
    findings: dict[tuple[str, str], str] = {}
    calls = 0
    statuses: collections.Counter = collections.Counter()
    index = 0
    lines = []
    for who, user in users.items():
        headers = {"Authorization": f"Bearer {make.token(user)}"}
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                tally = fuzz_operation(operation, mode, client, headers, index)
                index += 1
                calls += tally.calls
                statuses.update(tally.statuses)
                for what, curl in tally.findings.items():
                    findings.setdefault((f"{operation.label} [{who}, {mode.value}]", what), curl)
                lines.append(
                    f"{operation.label:50} {who:10} {mode.value:8} calls={tally.calls:4} "
                    + " ".join(f"{k}:{v}" for k, v in sorted(tally.statuses.items()))
                    + (f" seed={tally.seed}" if tally.seed is not None else "")
                )
    elapsed = time.monotonic() - started
    with capsys.disabled():
        if os.environ.get("PROCURE_FUZZ_VERBOSE"):
            print()
            print("\n".join(lines))
        print(
            f"\napi fuzz: operations={len(operations)} users={len(users)} calls={calls} "
            f"statuses={dict(sorted(statuses.items()))} findings={len(findings)} "
            f"seconds={elapsed:.0f} seed={'fixed' if BASE_SEED is None else BASE_SEED}"
        )
    report = "\n".join(
        f"{where}: {what}\n    {curl}" for (where, what), curl in sorted(findings.items())
    )
    assert not findings, f"{len(findings)} findings:\n{report}"
