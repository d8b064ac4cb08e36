# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: validate the platform configuration on the controller (docs: the module of the same name).

The configuration is controller-side data (inventory variables), so preflight runs in-process
instead of shipping a module to the host. Here it also checks the argument specs of the play's roles
(``roles``), which the playbooks import with ``rolespec_validate: false``: one pass, every problem in
one message, instead of one task per role stopping at its first problem.
"""

from __future__ import annotations

import re
from typing import ClassVar

import yaml
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mlops.platform.plugins.module_utils.preflight import run_preflight
from ansible_collections.mlops.platform.plugins.module_utils.release import YAML_LOADER
from ansible_collections.mlops.platform.plugins.plugin_utils.action import (
    COLLECTION_PREFIX,
    ROLES_DIR,
    PlatformAction,
    plain,
)

# Tags of the play's steps (playbooks/site.yml); every other tag is a component of the catalog.
STEP_TAGS = ("preflight", "infrastructure")
SPECIAL_TAGS = ("all", "tagged", "untagged", "always", "never")
WAVE_TAG = re.compile(r"^wave_[0-9]+$")


def collection_variables() -> tuple:
    """(roles, variables): the collection's role names, and every variable name its roles read (the options of
    every role's argument specs, the keys of every role's defaults and vars: the platform role's defaults hold
    the inventory's platform_* settings)."""
    roles, names = [], set()
    for role in sorted(p for p in ROLES_DIR.iterdir() if p.is_dir()):
        roles.append(role.name)
        spec_file = role / "meta" / "argument_specs.yml"
        if spec_file.is_file():
            spec = yaml.load(spec_file.read_text(), Loader=YAML_LOADER) or {}
            for entry in (spec.get("argument_specs") or {}).values():
                names.update(((entry or {}).get("options") or {}).keys())
        for folder in ("defaults", "vars"):
            for path in sorted([role / folder / "main.yml", *(role / folder / "main").glob("*.yml")]):
                if path.is_file():
                    data = yaml.load(path.read_text(), Loader=YAML_LOADER)
                    names.update(data.keys() if isinstance(data, dict) else ())
    return roles, sorted(str(n) for n in names)


class ActionModule(PlatformAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "config": {"type": "dict", "required": True},
        "roles": {"type": "list", "elements": "str", "default": []},
    }

    def _values(self, names: list, problems: list) -> dict:
        """The values of the variables ``names``. One expression for all of them, so the variables they
        share are resolved once; when it fails, one by one, to name each variable that cannot be evaluated."""
        try:
            return dict(zip(names, self.evaluate_variables(names), strict=True))
        except AnsibleError:
            pass
        values = {}
        for name in names:
            try:
                values[name] = plain(self._templar.resolve_variable_expression(name))
            except AnsibleError as err:
                problems.append(f"{name}: cannot be evaluated: {err.message}")
        return values

    def role_problems(self, roles: list) -> list:
        """Every argument-spec problem of the collection's roles in ``roles`` (disabled components skipped)."""
        problems = []
        specs = {}
        for role in sorted({r[len(COLLECTION_PREFIX) :] for r in roles if r.startswith(COLLECTION_PREFIX)}):
            spec_file = ROLES_DIR / role / "meta" / "argument_specs.yml"
            if spec_file.is_file():
                spec = yaml.load(spec_file.read_text(), Loader=YAML_LOADER) or {}
                specs[role] = ((spec.get("argument_specs") or {}).get("main") or {}).get("options") or {}
        toggles = [f"{role}_enabled" for role in specs if f"{role}_enabled" in self._task_vars]
        enabled = self._values(toggles, problems)
        specs = {role: o for role, o in specs.items() if boolean(enabled.get(f"{role}_enabled", True), strict=False)}
        names = sorted({name for options in specs.values() for name in options if name in self._task_vars})
        values = self._values(names, problems)
        for role, options in specs.items():
            outcome = ArgumentSpecValidator(options).validate({n: values[n] for n in options if n in values})
            problems += [f"{COLLECTION_PREFIX}{role}: {message}" for message in outcome.error_messages]
        return problems

    def tag_problems(self, catalog) -> list:
        """``--tags`` that name neither a component of the catalog, nor a wave, nor a step of the play: such a
        run would select nothing. (``--skip-tags`` may name anything: skipping nothing changes nothing, and
        tools such as Molecule always skip their own tags.)"""
        if not isinstance(catalog, dict):
            return []  # reported by the catalog check
        known = sorted(catalog) + list(STEP_TAGS)
        unknown = [
            t
            for t in self._task_vars.get("ansible_run_tags") or []
            if t not in known and t not in SPECIAL_TAGS and not WAVE_TAG.match(str(t))
        ]
        if not unknown:
            return []
        return [
            f"--tags {','.join(unknown)}: no such component or step; known: {', '.join(known)}, "
            "wave_<N> (the releases of wave N) (and all, tagged, untagged, always)"
        ]

    def host_variables(self):
        """The names of the variables the inventory (and -e) sets for the host; None when unknown."""
        host = self._task_vars.get("inventory_hostname")
        hostvars = self._task_vars.get("hostvars")
        try:
            return sorted(str(name) for name in hostvars[host])
        except (KeyError, TypeError, AnsibleError):
            return None

    def act(self, args):
        catalog = args["config"].get("platform_component_catalog")
        more = self.tag_problems(catalog) + self.role_problems(args["roles"])
        roles, known = collection_variables()
        # For the unknown-key checks (module_utils/preflight_keys.py).
        config = {
            **args["config"],
            "host_variables": self.host_variables(),
            "known_variables": known,
            "collection_roles": roles,
        }
        result = run_preflight(config, more_problems=more)
        result["ansible_facts"] = {"preflight__passed": True}
        return result
