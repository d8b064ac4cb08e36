# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: model_store_annotations
short_description: Service account annotations for KServe's storage initializer
version_added: 0.1.0
description:
  - Returns the service account annotations that tell KServe's storage initializer how to reach the platform's
    object store, for the cloud named by the input. Credentials are not among them; they come from the service
    account's workload identity (see P(mlops.platform.workload_identity#filter)).
  - On V(aws) returns the C(serving.kserve.io/s3-*) annotations (regional endpoint, region, HTTPS, no anonymous
    access); O(region) is required.
  - On V(azure) returns an empty dict; the storage initializer uses the pod's workload identity as is.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  region:
    description: The bucket's region, normally C(platform_infra.region). Required on V(aws), ignored on V(azure).
    type: str
"""

EXAMPLES = r"""
- name: Show the annotations of the KServe predictor service account
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.model_store_annotations(platform_infra.region) }}"
  # aws:   {serving.kserve.io/s3-endpoint: s3.eu-west-1.amazonaws.com, serving.kserve.io/s3-region: eu-west-1,
  #         serving.kserve.io/s3-useanoncredential: "false", serving.kserve.io/s3-usehttps: "1"}
  # azure: {}
"""

RETURN = r"""
_value:
  description: Annotation name -> value (strings), sorted by name.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def model_store_annotations(cloud, region=None):
    """Storage-initializer service account annotations on ``cloud``."""
    return ask_profile("model_store_annotations", cloud, "model_store_annotations", region)


class FilterModule:
    def filters(self):
        return {"model_store_annotations": model_store_annotations}
