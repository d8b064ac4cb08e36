# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: image_registries
short_description: The registries that image references pull from, Docker Hub names normalised
version_added: 0.2.0
description:
  - The registry host of each image reference, the way the container runtime resolves it (the distribution
    reference rules of C(docker/distribution)), so the first path component is a registry when it holds a C(.) or a
    C(:) or is C(localhost); otherwise the image is on Docker Hub, C(docker.io).
  - C(busybox:1.32) and C(docker.io/library/busybox) both give C(docker.io); C(burakince/mlflow) gives C(docker.io);
    C(quay.io/minio/minio) gives C(quay.io); C(123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlops-pipeline:1) gives
    the ECR host.
  - C(index.docker.io) and C(registry-1.docker.io) are Docker Hub too and give C(docker.io).
  - A bare registry host (C(mlopsdevacr.azurecr.io)) gives itself. Empty entries are skipped.
options:
  _input:
    description: Image references or registry hosts.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The registries of the pinned images
  ansible.builtin.debug:
    msg: "{{ ['busybox:1.32', 'quay.io/minio/minio', 'burakince/mlflow'] | mlops.platform.image_registries }}"
    # ['docker.io', 'quay.io']
"""

RETURN = r"""
_value:
  description: The registry hosts, sorted, each once.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = {"index.docker.io", "registry-1.docker.io"}


def image_registry(reference):
    """The registry host of one image reference (or of a bare registry host)."""
    if not isinstance(reference, str):
        raise AnsibleFilterError(f"image_registries: expected an image reference, got {reference!r}")
    head, sep, _rest = reference.strip().partition("/")
    if not sep:
        # A bare name: a registry host when it looks like one (a dot, a port, localhost), else a Docker Hub image.
        name = head.split("@")[0]
        is_host = "." in name.split(":")[0] or name == "localhost" or (":" in name and name.split(":")[1].isdigit())
        return name if is_host else DOCKER_HUB
    if "." in head or ":" in head or head == "localhost":
        return DOCKER_HUB if head in DOCKER_HUB_ALIASES else head
    return DOCKER_HUB


def image_registries(references):
    if not isinstance(references, (list, tuple)):
        raise AnsibleFilterError(f"image_registries: expected a list of image references, got {references!r}")
    return sorted({image_registry(ref) for ref in references if ref is not None and str(ref).strip()})


class FilterModule:
    def filters(self):
        return {"image_registries": image_registries}
