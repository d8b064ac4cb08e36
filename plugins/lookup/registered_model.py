# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: registered_model
short_description: Resolve aliases of an MLflow registered model to versions and storage URIs
version_added: 0.1.0
description:
  - For each term (a registered model name), asks the MLflow tracking server, through its REST API, which version
    each alias of O(aliases) points at, and where that version's files are (the URI KServe's storage initializer
    fetches).
  - The storage URI is the version's storage location as the server reports it (MLflow 3 stores the logged
    model's artifact location for a C(models:/m-<id>) source), a C(models:/m-<id>) or C(runs:/) URI resolved
    through the logged model or run, and C(mlflow-artifacts:/P) (the server's artifact proxy) mapped to
    C(<artifacts_destination>/P).
  - Credentials come from the environment only (C(MLFLOW_TRACKING_USERNAME)/C(MLFLOW_TRACKING_PASSWORD), or
    C(MLFLOW_TRACKING_TOKEN)); they never appear in a result or an error.
  - Runs on the controller; needs no mlflow package.
author:
  - mlops.platform maintainers (@mlops)
options:
  _terms:
    description: Registered model names.
    type: list
    elements: str
    required: true
  aliases:
    description: The aliases to resolve.
    type: list
    elements: str
    default: [champion, challenger]
  tracking_uri:
    description:
      - The MLflow tracking server's http(s) URL (the inventory's C(kserve_model_registry_uri)).
      - Default is the C(MLFLOW_TRACKING_URI) environment variable.
    type: str
    env:
      - name: MLFLOW_TRACKING_URI
  artifacts_destination:
    description:
      - The server's C(--artifacts-destination) (C(kserve_model_artifacts_destination)), to map C(mlflow-artifacts:/)
        URIs. Needed only when a version's files are in the artifact proxy.
    type: str
  timeout:
    description: Seconds to wait for each answer of the server.
    type: float
    default: 30
notes:
  - Errors (server unreachable, credentials refused, model missing) fail with a message naming the server and
    C(kserve_model_registry_uri).
seealso:
  - module: mlops.platform.model_alias
"""

EXAMPLES = r"""
- name: Where champion and challenger of iris-classifier are
  ansible.builtin.debug:
    msg: >-
      {{ lookup('mlops.platform.registered_model', 'iris-classifier',
                aliases=['champion', 'challenger'],
                tracking_uri=kserve_model_registry_uri,
                artifacts_destination=kserve_model_artifacts_destination) }}

- name: The champion's storage URI, or none
  ansible.builtin.set_fact:
    champion_uri: >-
      {{ (lookup('mlops.platform.registered_model', 'iris-classifier', aliases=['champion']).aliases.champion
          | default({}, true)).storage_uri | default(none) }}
"""

RETURN = r"""
_raw:
  description:
    - One dictionary per term, C(name) and C(aliases), which maps each alias of O(aliases) to null (the model
      has no such alias) or to the version it points at.
  type: list
  elements: dict
  contains:
    name:
      description: The registered model.
      type: str
    aliases:
      description:
        - Alias -> null or C(version), C(storage_uri), C(source), C(run_id), C(gate) (the C(serving_gate) tag,
          C(passed) or empty), C(gate_runtime) (C(serving_gate.runtime)) and C(tags) (every tag of the version).
      type: dict
      sample:
        champion:
          version: "3"
          storage_uri: s3://mlops-dev-platform/mlflow/1/models/m-0d5c/artifacts
          source: models:/m-0d5c
          run_id: 6b1e0c
          gate: passed
          gate_runtime: docker.io/seldonio/mlserver:1.5.0-mlflow
          tags: {serving_gate: passed}
        challenger: null
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.mlops.platform.plugins.module_utils import mlflow_registry as registry
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        aliases = [str(alias) for alias in self.get_option("aliases") or []]
        tracking_uri = self.get_option("tracking_uri") or ""
        destination = self.get_option("artifacts_destination") or None
        try:
            client = registry.Registry(tracking_uri, timeout=float(self.get_option("timeout")))
            return [registry.resolve(client, str(term), aliases, destination) for term in terms]
        except PlatformError as error:
            raise AnsibleLookupError(f"mlops.platform.registered_model: {error.msg}") from None
