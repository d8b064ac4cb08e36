# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cloud_credentials
short_description: Which of the cloud's credential environment variables are set
version_added: 0.1.0
description:
  - Returns the names (never the values) of the environment variables that configure credentials or an endpoint
    for the cloud named by the input and are set, non-empty, in O(environ).
  - V(aws) C(AWS_ACCESS_KEY_ID), C(AWS_PROFILE), C(AWS_WEB_IDENTITY_TOKEN_FILE),
    C(AWS_CONTAINER_CREDENTIALS_FULL_URI), C(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), C(AWS_ENDPOINT_URL).
  - V(azure) C(ARM_CLIENT_ID), C(ARM_SUBSCRIPTION_ID), C(ARM_USE_MSI), C(ARM_USE_OIDC), C(AZURE_CLIENT_ID).
  - The infrastructure role uses it to decide whether a render may run C(terraform plan).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  environ:
    description:
      - The environment variables to look at, name -> value.
      - Default, the environment of the Ansible controller (where the infrastructure role runs Terraform).
    type: dict
  set_only:
    description: V(false) returns every variable name the cloud uses, set or not (for messages).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Say which AWS credential variables the controller has
  ansible.builtin.debug:
    msg: "{{ platform_cloud | mlops.platform.cloud_credentials }}"
  # aws: ['AWS_PROFILE'] when only AWS_PROFILE is set
"""

RETURN = r"""
_value:
  description: The names of the variables that are set, in the order listed above.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.terraform import credentials_in_env


def cloud_credentials(cloud, environ=None, set_only=True):
    """Names of ``cloud``'s credential environment variables set in ``environ`` (default: the controller's)."""
    if not isinstance(set_only, bool):
        raise AnsibleFilterError(f"cloud_credentials: set_only must be true or false, got {set_only!r}")
    try:
        return credentials_in_env(cloud, dict(os.environ) if environ is None else environ, set_only=set_only)
    except PlatformError as err:
        raise AnsibleFilterError(f"cloud_credentials: {err}") from err


class FilterModule:
    def filters(self):
        return {"cloud_credentials": cloud_credentials}
