#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: model_alias
short_description: Point an alias of an MLflow registered model at a version, or delete it
version_added: 0.1.0
description:
  - Sets (O(state=present)) or deletes (O(state=absent)) an alias of a registered model of the MLflow tracking
    server, through its REST API (no mlflow package needed).
  - Idempotent; changed only when the alias moves (or a tag of O(tags) changes). Check mode reports the plan
    and changes nothing; diff mode shows the alias before and after.
  - Refuses to point C(champion) at a version whose C(serving_gate) tag is not C(passed) (the serving-runtime
    gate of the ML pipeline sets it).
  - When C(champion) moves and O(tag_previous=true), the new champion is tagged C(mlops.previous_champion)
    with the version it replaces (C(none) when there was none), as the pipeline's own promotion does.
  - Credentials come from the environment only (C(MLFLOW_TRACKING_USERNAME)/C(MLFLOW_TRACKING_PASSWORD),
    or C(MLFLOW_TRACKING_TOKEN)); they are never returned.
author:
  - mlops.platform maintainers (@mlops)
options:
  tracking_uri:
    description:
      - The MLflow tracking server's http(s) URL.
      - Default is the C(MLFLOW_TRACKING_URI) environment variable.
    type: str
  name:
    description: The registered model.
    type: str
    required: true
  alias:
    description: The alias, for example C(champion) or C(challenger).
    type: str
    required: true
  version:
    description: The version the alias points at. Required when O(state=present).
    type: str
  state:
    description: V(present) points the alias at O(version); V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  tag_previous:
    description: When C(champion) moves, tag the new champion C(mlops.previous_champion=<version it replaces>).
    type: bool
    default: true
  tags:
    description:
      - Tags to set on the version the alias points at after the change (O(state=present)), or pointed at
        before it (O(state=absent)), for example C(mlops.rollout=rolled-back). Set only when the alias exists.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for each answer of the server.
    type: float
    default: 30
notes:
  - Supports check mode and diff mode.
seealso:
  - plugin: mlops.platform.registered_model
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Promote the challenger (the lookup resolved it)
  mlops.platform.model_alias:
    tracking_uri: "{{ kserve_model_registry_uri }}"
    name: iris-classifier
    alias: champion
    version: "7"

- name: Roll the challenger back
  mlops.platform.model_alias:
    name: iris-classifier
    alias: challenger
    state: absent
    tags:
      mlops.rollout: rolled-back
"""

RETURN = r"""
before:
  description: The version the alias pointed at before; null when it did not exist.
  returned: always
  type: str
  sample: "6"
after:
  description: The version the alias points at after; null when it is deleted.
  returned: always
  type: str
  sample: "7"
tagged:
  description: The tags set (or, in check mode, to set) on the version, by key.
  returned: always
  type: dict
  sample: {"mlops.previous_champion": "6"}
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.mlops.platform.plugins.module_utils import mlflow_registry as registry
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

ARGUMENT_SPEC = dict(
    tracking_uri=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_URI"])),
    name=dict(type="str", required=True),
    alias=dict(type="str", required=True),
    version=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    tag_previous=dict(type="bool", default=True),
    tags=dict(type="dict", default={}),
    timeout=dict(type="float", default=30.0),
)


def run(params: dict, check_mode: bool) -> dict:
    """Plan, check the gate, then (unless ``check_mode``) move the alias and set the tags."""
    client = registry.Registry(params["tracking_uri"] or "", timeout=params["timeout"])
    name, alias, state = params["name"], params["alias"], params["state"]
    plan = registry.plan_alias(client, name, alias, params["version"], state)
    target_version = plan["after"] if state == "present" else plan["before"]
    tags = {str(k): str(v) for k, v in (params["tags"] or {}).items()}
    if state == "present" and alias == registry.CHAMPION and plan["changed"]:
        refusal = registry.gate_refusal(name, client.version(name, target_version))
        if refusal:
            raise PlatformError(refusal)
        if params["tag_previous"]:
            tags[registry.TAG_PREVIOUS_CHAMPION] = plan["before"] or "none"
    tagged = {}
    if target_version is not None and tags:
        current = registry.tags_of(client.version(name, target_version))
        tagged = {key: value for key, value in tags.items() if current.get(key) != value}
    changed = plan["changed"] or bool(tagged)
    if changed and not check_mode:
        # Tags first: a champion carries its previous champion from the moment it serves.
        for key, value in tagged.items():
            client.set_version_tag(name, target_version, key, value)
        if plan["changed"]:
            if state == "present":
                client.set_alias(name, alias, plan["after"])
            else:
                client.delete_alias(name, alias)
    result = {"changed": changed, "before": plan["before"], "after": plan["after"], "tagged": tagged}
    result["diff"] = {
        "before": f"{name}@{alias}: {plan['before'] or '(none)'}\n",
        "after": f"{name}@{alias}: {plan['after'] or '(none)'}\n",
    }
    return result


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("state", "present", ["version"])],
        supports_check_mode=True,
    )
    try:
        result = run(module.params, module.check_mode)
    except PlatformError as error:
        error.fail_json(module)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
