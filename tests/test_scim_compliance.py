"""The SCIM endpoint against scim2-tester, the SCIM RFC compliance checker: every
check it runs (discovery, create, read, list, attributes, replace, delete, PATCH add /
replace / remove on every published attribute, unknown URLs) must pass.

The checker drives the real application through its WSGI interface (scim2-client's
in-process transport: the same requests a directory sends over HTTP, without a port).
"""

from __future__ import annotations

import pytest
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import ScimProvider
from scim2_tester import Status, check_server

from procure.scim import tokens

pytestmark = pytest.mark.every_database


@pytest.fixture
def checker(app, db, make):
    make.department("IT")
    make.department("FIN")
    make.user(["requester"])  # a local account: Users lists it too
    _token, secret = tokens.issue("scim2-tester", actor=None)
    db.session.commit()
    client = WSGISCIMClient(
        app,
        base_url="http://procure.test/scim/v2",
        headers={"Authorization": f"Bearer {secret}"},
        provider=ScimProvider(),
    )
    return client


def test_scim2_tester_finds_no_failure(checker):
    results = check_server(checker)

    failures = [
        result
        for result in results
        if result.status not in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE)
    ]
    assert [(r.title, r.resource_type, r.status.name, r.reason) for r in failures] == []
    checked = {(result.title, result.resource_type) for result in results}
    # The checker really reached every family of checks for both resource types.
    for title in (
        "object_creation",
        "object_replacement",
        "object_deletion",
        "search_with_attributes",
    ):
        assert (title, "User") in checked and (title, "Group") in checked
    assert ("check_replace_attribute", "User") in checked
    assert len(results) > 60
