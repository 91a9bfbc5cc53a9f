"""Files in S3-compatible object storage: ``s3://bucket/prefix/<sha256[:2]>/<sha256>``.

Credentials come the usual way of boto3 (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, a profile, an instance role). Every failure to reach the
endpoint or the bucket becomes :class:`StorageUnavailable`; a missing object
becomes ``FileNotFoundError``, as for a folder."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from .base import SHA256, Storage, StorageUnavailable

MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    def __init__(
        self, url: str, *, bucket: str, prefix: str, endpoint_url: str | None, region: str | None
    ) -> None:
        self.url = url
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        # Made on first use (boto3 is slow to import), once: clients are thread-safe.
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                self._client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    config=Config(
                        connect_timeout=3,
                        read_timeout=20,
                        retries={"mode": "standard", "total_max_attempts": 2},
                    ),
                )
            return self._client

    def object_key(self, sha256: str) -> str:
        key = self.key(sha256)
        return f"{self.prefix}/{key}" if self.prefix else key

    def where(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.object_key(sha256)}"

    def _describe(self) -> str:
        where = f"s3://{self.bucket}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    @contextlib.contextmanager
    def _answering(self, sha256: str | None = None) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if sha256 is not None and code in MISSING:
                raise FileNotFoundError(f"{self.where(sha256)} is not stored") from None
            if code == "NoSuchBucket":
                raise StorageUnavailable(f"the bucket {self.bucket} does not exist") from exc
            raise StorageUnavailable(f"{self._describe()} answered {code}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot reach {self._describe()}: {exc}") from exc

    def _write(self, sha256: str, data: bytes) -> None:
        with self._answering():
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(sha256), Body=data)

    def open(self, sha256: str) -> BinaryIO:
        # Read whole (uploads are at most a few MB), so that a failure shows here and
        # not halfway through a download.
        with self._answering(sha256):
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(sha256))
            with contextlib.closing(answer["Body"]) as body:
                return io.BytesIO(body.read())

    def exists(self, sha256: str) -> bool:
        try:
            with self._answering(sha256):
                self.client.head_object(Bucket=self.bucket, Key=self.object_key(sha256))
        except FileNotFoundError:
            return False
        return True

    def delete(self, sha256: str) -> None:
        with self._answering():
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(sha256))

    def keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        with self._answering():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    rest = item["Key"][len(start) :]
                    folder, _, name = rest.partition("/")
                    if SHA256.fullmatch(name) and folder == name[:2]:
                        yield name

    def problems(self) -> list[str]:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchBucket", "NotFound"}:
                return [f"the bucket {self.bucket} does not exist at {self._describe()}"]
            return [f"{self._describe()} refuses access to the bucket ({code})"]
        except BotoCoreError as exc:
            return [f"cannot reach {self._describe()}: {exc}"]
        return []
