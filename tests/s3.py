"""An S3-compatible endpoint on loopback for the storage tests: moto's standalone
server (no S3 server package is installable here), started by the suite.

Import ``s3_fixture`` (the ``s3`` fixture) into a test module; ``s3.url()`` names a
fresh bucket."""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

_NAMES = itertools.count(1)

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "procure-test",
    "AWS_SECRET_ACCESS_KEY": "procure-test-secret",
    "AWS_DEFAULT_REGION": REGION,
    # Never a real profile or the instance metadata service.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class S3Endpoint:
    """moto's server on a fixed loopback port, so that it can be stopped and started
    again at the same address (its buckets live on in this process meanwhile)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION)

    def bucket(self) -> str:
        # Unique in the process, not only in this endpoint: moto keeps its buckets in
        # the process, so a second endpoint counting from 1 again would reuse a name
        # (and find the first one's objects in it).
        name = f"procure-test-{os.getpid()}-{next(_NAMES)}"
        self.client().create_bucket(Bucket=name)
        return name

    def url(self, bucket: str | None = None, prefix: str = "files") -> str:
        """``PROCURE_STORAGE_URL`` for a bucket (a new one unless named)."""
        bucket = bucket or self.bucket()
        return f"s3://{bucket}/{prefix}?endpoint_url={self.endpoint_url}&region={REGION}"


@pytest.fixture(scope="session", name="s3")
def s3_fixture() -> Iterator[S3Endpoint]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)
        endpoint = S3Endpoint()
        endpoint.start()
        try:
            yield endpoint
        finally:
            endpoint.stop()


@pytest.fixture(name="s3_storage")
def s3_storage_fixture(app, s3):
    """The app's storage switched to a fresh bucket for one test."""
    url = s3.url()
    before = app.config.get("PROCURE_STORAGE_URL")
    app.config["PROCURE_STORAGE_URL"] = url
    yield url
    app.config["PROCURE_STORAGE_URL"] = before
