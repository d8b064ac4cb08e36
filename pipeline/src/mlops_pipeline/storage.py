"""Files under a folder URI: a plain path, ``file://PATH`` or ``s3://BUCKET/PREFIX``.

S3 goes through boto3, which reads its endpoint from the standard environment
(``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``) and its credentials from the usual chain
(the workflow service account's cloud identity in a cluster).
"""

from __future__ import annotations

import functools
import pathlib
import typing
import urllib.parse

from mlops_pipeline.common import Refused


def is_s3(uri: str) -> bool:
    """True when ``uri`` names an S3 location."""
    return uri.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")`` (prefix without surrounding slashes)."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise Refused(f"not an S3 URI: {uri}")
    return parsed.netloc, parsed.path.strip("/")


def local_path(uri: str) -> pathlib.Path:
    """The local path of a plain path or ``file://`` URI."""
    if uri.startswith("file://"):
        return pathlib.Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path))
    if "://" in uri:
        raise Refused(f"unsupported URI scheme (expected a path, file:// or s3://): {uri}")
    return pathlib.Path(uri)


def join(base: str, *names: str) -> str:
    """``base`` with ``names`` appended as path segments."""
    parts = [base.rstrip("/")] + [name.strip("/") for name in names if name.strip("/")]
    return "/".join(parts)


@functools.lru_cache(maxsize=1)
def _s3_client() -> typing.Any:
    import boto3

    return boto3.client("s3")


def _object_key(base: str, name: str) -> tuple[str, str]:
    bucket, prefix = split_s3(base)
    return bucket, "/".join(part for part in (prefix, name.strip("/")) if part)


def read_bytes(base: str, name: str) -> bytes:
    """The content of file ``name`` under the folder ``base``."""
    if is_s3(base):
        bucket, key = _object_key(base, name)
        try:
            return _s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        except _s3_client().exceptions.NoSuchKey as error:
            raise Refused(f"no such object: s3://{bucket}/{key}") from error
    path = local_path(base) / name
    if not path.is_file():
        raise Refused(f"no such file: {path}")
    return path.read_bytes()


def write_bytes(base: str, name: str, data: bytes) -> str:
    """Write ``data`` as file ``name`` under the folder ``base``; return its URI."""
    if is_s3(base):
        bucket, key = _object_key(base, name)
        _s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        return f"s3://{bucket}/{key}"
    path = local_path(base) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def exists(base: str, name: str) -> bool:
    """True when file ``name`` exists under the folder ``base``."""
    if is_s3(base):
        bucket, key = _object_key(base, name)
        listing = _s3_client().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in listing.get("Contents", []))
    return (local_path(base) / name).is_file()


def storage_uri(download_uri: str, artifacts_destination: str | None) -> str:
    """Where an MLflow artifact really lives.

    An MLflow server that proxies artifacts hands out ``mlflow-artifacts:/<path>`` URIs; the
    files live at ``<artifacts destination>/<path>``. Any other URI is already a storage URI.
    """
    if download_uri.startswith("mlflow-artifacts:"):
        if not artifacts_destination:
            raise Refused(
                f"{download_uri} needs MLOPS_ARTIFACTS_DESTINATION (the MLflow server's artifacts destination)"
            )
        relative = urllib.parse.urlparse(download_uri).path.lstrip("/")
        return join(artifacts_destination, relative)
    return download_uri


def key_in_container(uri: str) -> str:
    """The path of ``uri`` relative to its bucket or container (the artifact repository's key).

    ``s3://bucket/a/b`` -> ``a/b``; ``wasbs://container@account.blob.core.windows.net/a/b`` ->
    ``a/b``; ``gs://bucket/a/b`` -> ``a/b``; a local path or ``file://`` URI -> the absolute path.
    """
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme in ("s3", "gs", "wasbs", "wasb", "abfss", "abfs"):
        return parsed.path.strip("/")
    return str(local_path(uri).resolve())
