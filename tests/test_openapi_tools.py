"""The OpenAPI document as independent tools read it (issue 15, point 23): Spectral's
``spectral:oas`` ruleset finds nothing to report, and a client generated from it by
openapi-python-client, used as generated, downloads a purchase order's PDF."""

from __future__ import annotations

import configparser
import hashlib
import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from procure.api.spec import OPERATIONS, TAGS

from .documents import issued_order

ROOT = Path(__file__).resolve().parent.parent
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "procure_api_client"
METHODS = {"get", "put", "post", "patch", "delete"}


def document(client) -> dict:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


def operations(doc: dict) -> list[tuple[str, dict]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def installed(tool: Path, how: str) -> Path:
    assert tool.exists(), f"{tool.name} is missing: {how}"
    return tool


# What the document says -------------------------------------------------------------------


def test_info_names_the_contact_and_the_licence(client):
    info = document(client)["info"]
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    licence = setup["metadata"]["license"]
    assert (
        info["license"]
        == {"name": licence, "identifier": licence}
        == {
            "name": "MIT",
            "identifier": "MIT",
        }
    )
    assert info["contact"]["name"] == "Procure"
    url = info["contact"]["url"]
    assert url.startswith(("http://", "https://")) and str(ROOT) not in url
    assert "localhost" not in url  # the test client's host: never echoed


def test_every_operation_has_a_useful_description_and_a_declared_tag(client):
    doc = document(client)
    declared = {tag["name"]: tag.get("description", "") for tag in doc["tags"]}
    assert all(len(text) > 20 for text in declared.values()), declared
    missing = {op.tag for op in OPERATIONS} - set(TAGS)
    assert not missing, f"declare these tags in procure/api/spec.py TAGS: {sorted(missing)}"
    found = operations(doc)
    assert len(found) == len(OPERATIONS)
    for where, op in found:
        description = op.get("description", "")
        assert len(description) > 20, where
        assert description.strip() != op["summary"].strip(), where
        assert "\n    " not in description, where  # the docstring's indentation is gone
        assert op["tags"] and set(op["tags"]) <= set(declared), where


def test_every_operation_has_a_unique_id_and_described_responses(client):
    found = operations(document(client))
    ids = [op["operationId"] for _where, op in found]
    assert len(ids) == len(set(ids))
    for where, op in found:
        assert op["responses"], where
        for status, answer in op["responses"].items():
            assert answer.get("description"), (where, status)


def test_the_pdfs_are_declared_binary(client):
    doc = document(client)
    for path in ("/api/v1/orders/{order_id}/pdf", "/api/v1/contracts/{contract_id}/pdf"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        binary = {"type": "string", "format": "binary"}
        assert content["application/pdf"]["schema"] == binary
        assert content["application/octet-stream"]["schema"] == binary


def test_a_pdf_is_also_answered_as_octet_stream_to_who_prefers_it(api, make):
    order = issued_order(make)
    caller = api(make.user(["procurement"], department="PROC"))
    url = f"/api/v1/orders/{order.id}/pdf"
    default = caller.get(url)
    assert default.status_code == 200 and default.mimetype == "application/pdf"
    assert caller.get(url, headers={"Accept": "*/*"}).mimetype == "application/pdf"
    octets = caller.get(url, headers={"Accept": "application/octet-stream"})
    assert octets.status_code == 200 and octets.mimetype == "application/octet-stream"
    assert octets.data == default.data
    assert hashlib.sha256(octets.data).hexdigest() == order.pdf_sha256


# Spectral ----------------------------------------------------------------------------------


def test_spectral_reports_no_problem(client, tmp_path):
    spectral = installed(SPECTRAL, "run `make install-test` (npm ci)")
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document(client)))
    result = subprocess.run(
        [
            spectral,
            "lint",
            "--ruleset",
            ROOT / ".spectral.yaml",
            "--quiet",
            "--format",
            "json",
            "--fail-severity",
            "hint",
            path,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    problems = json.loads(result.stdout or "null")
    said = [
        f"{p['code']} at {'.'.join(map(str, p['path']))}: {p['message']}" for p in problems or []
    ]
    assert problems == [], "\n".join(said) or result.stderr
    assert result.returncode == 0, result.stderr


def test_the_spectral_ruleset_is_the_oas_one():
    assert (ROOT / ".spectral.yaml").read_text().strip() == 'extends: ["spectral:oas"]'


# A generated client ------------------------------------------------------------------------


def through(client) -> httpx.MockTransport:
    """httpx over the Flask test client: the generated code sends real HTTP requests, each
    answered by the app as a server would."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = client.open(
            request.url.raw_path.decode("ascii"),
            method=request.method,
            headers=list(request.headers.multi_items()),
            data=request.content,
        )
        return httpx.Response(
            answer.status_code, headers=list(answer.headers.items()), content=answer.get_data()
        )

    return httpx.MockTransport(handle)


@pytest.fixture
def generated(client, tmp_path, monkeypatch):
    """The client openapi-python-client generates from the document, imported as is."""
    generator = installed(GENERATOR, "pip install -e '.[test]'")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document(client)))
    settings = tmp_path / "generator.json"
    settings.write_text(json.dumps({"post_hooks": []}))  # no formatter run on the output
    result = subprocess.run(
        [
            generator,
            "generate",
            "--path",
            spec,
            "--meta",
            "none",
            "--config",
            settings,
            "--output-path",
            tmp_path / PACKAGE,
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    # --fail-on-warning: a response the generator cannot read (such as a PDF declared in a
    # way it does not know) fails here instead of being left out of the client.
    assert result.returncode == 0, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_a_generated_client_downloads_an_order_pdf(client, make, generated):
    order = issued_order(make)
    token = make.token(make.user(["procurement"], department="PROC"))
    download = importlib.import_module(f"{PACKAGE}.api.purchase_orders.api_order_pdf")
    types = importlib.import_module(f"{PACKAGE}.types")
    caller = generated.AuthenticatedClient(
        base_url="http://localhost", token=token, httpx_args={"transport": through(client)}
    )

    answer = download.sync_detailed(order_id=order.id, client=caller)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert isinstance(answer.parsed, types.File)
    data = answer.parsed.payload.read()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == order.pdf_sha256
    # and the JSON side of the same client reads the order it describes
    read = importlib.import_module(f"{PACKAGE}.api.purchase_orders.api_get_order")
    assert read.sync(order_id=order.id, client=caller).pdf_sha256 == order.pdf_sha256
