# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: describe and render platform releases on the controller (docs: the module of the same name).

Rendering reads the chart mirror and writes the build folder of the controller, with the
controller's helm, so it runs here, in-process, instead of shipping a module to the host.

Given ``components`` (the catalog), the action also describes the releases itself: for each component
role of the play that is enabled and selected by ``--tags``, it evaluates ``<role>__release`` (the
role's vars) and renders the template files it names from the role's templates/ folder. One task
thus describes the whole platform, instead of one task and one deep copy of every variable per
template lookup per component.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.template import trust_as_template

from ansible_collections.mlops.platform.plugins.module_utils import reuse
from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.release import (
    ARGUMENT_SPEC,
    WAVE_TAG_PREFIX,
    YAML_LOADER,
    incomplete_problems,
    pending_entry,
    release_selected,
    remove_folders,
    render_releases,
    stale_folders,
    tag_selected,
)
from ansible_collections.mlops.platform.plugins.plugin_utils.action import ROLES_DIR, PlatformAction, plain

# Keys of a description naming template files of the role, and the key each one fills.
TEMPLATE_KEYS = {
    "values_template": "values",
    "manifests_pre_template": "manifests_pre",
    "manifests_template": "manifests",
}


def run_command(argv: list) -> tuple:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def find_tool(name: str) -> str:
    """``name`` next to the Python running Ansible (the venv `make setup` creates), else on PATH."""
    search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if not found:
        raise PlatformError(f"{name} not found next to {sys.executable} or on PATH; set platform_{name}_binary")
    return found


def find_helm() -> str:
    return find_tool("helm")


class ActionModule(PlatformAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    # ------------------------------------------------------------------ describing
    def _render_template(self, role: str, name: str, local: dict, many: bool):
        path = ROLES_DIR / role / "templates" / name
        if not path.is_file():
            raise PlatformError(f"{role}: template {name} not found in {path.parent}")
        variables = dict(self._task_vars)
        variables.update(local)
        templar = self._templar.copy_with_new_env(available_variables=variables, searchpath=[str(path.parent)])
        result = templar.template(trust_as_template(path.read_text(encoding="utf-8")), escape_backslashes=False)
        # A template that renders nothing (every block false) comes back as None, not "".
        text = "" if result is None else str(result)
        try:
            if many:
                return [doc for doc in yaml.load_all(text, Loader=YAML_LOADER) if doc]
            return yaml.load(text, Loader=YAML_LOADER) or {}
        except yaml.YAMLError as err:
            raise PlatformError(f"{role}: {name} does not render to YAML: {err}") from None

    def describe(self, catalog: dict, every_enabled: bool = False) -> tuple:
        """``(releases in wave order, their roles, picked, disabled roles, left-out roles)``.

        ``picked[i]`` says whether ``--tags``/``--skip-tags`` select ``releases[i]``, by its role's tag or its
        wave's tag (``wave_<N>``). Left out: enabled roles with a release (or, unread, all) not picked. Only
        the picked roles' releases are described unless ``every_enabled`` (apply renders the whole
        platform and installs the picked releases) or a wave tag is given.
        """
        play_roles = set(self.play_roles())
        run_tags = self._task_vars.get("ansible_run_tags")
        skip_tags = self._task_vars.get("ansible_skip_tags")
        wave_tags = any(str(t).startswith(WAVE_TAG_PREFIX) for t in [*(run_tags or []), *(skip_tags or [])])
        # Only the play's roles count (a playbook may list a few components).
        roles = [role for role in catalog if role in play_roles]
        enabled, disabled = [], []
        for role, value in zip(roles, self.evaluate_variables([f"{role}_enabled" for role in roles]), strict=True):
            (enabled if boolean(value, strict=False) else disabled).append(role)
        selected = self.components_selected(catalog, enabled)
        if every_enabled or wave_tags:
            described_roles = enabled
        else:
            described_roles = [role for role in enabled if tag_selected(role, run_tags, skip_tags) and selected(role)]
        described = []
        for role, entries in zip(
            described_roles, self.evaluate_variables([f"{role}__release" for role in described_roles]), strict=True
        ):
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    raise PlatformError(f"{role}__release: each release description must be a mapping, got {entry!r}")
                described.append({**entry, "role": role})
        # Releases that need every other release last, when the others are complete.
        for entry in sorted(described, key=lambda e: bool(e.get("requires_all_releases"))):
            # A role that renders one template for several releases tells each rendering apart (template_vars).
            local = dict(entry.pop("template_vars", None) or {})
            if entry.get("requires_all_releases"):
                local["release__described"] = [
                    {k: v for k, v in e.items() if not k.endswith("_template")}
                    for e in described
                    if e["role"] != entry["role"]
                ]
            for key, target in TEMPLATE_KEYS.items():
                name = entry.pop(key, None)
                if name:
                    many = target != "values"
                    rendered = self._render_template(entry["role"], name, local, many)
                    entry[target] = rendered + list(entry.get(target) or []) if many else rendered
        releases = sorted(described, key=lambda e: (int(e.get("wave") or 0), e["component"]))
        owners = [entry.pop("role") for entry in releases]
        picked = [
            release_selected(o, r.get("wave"), run_tags, skip_tags) and selected(o)
            for o, r in zip(owners, releases, strict=True)
        ]
        unpicked = {owner for owner, chosen in zip(owners, picked, strict=True) if not chosen}
        left_out = [role for role in enabled if role not in described_roles or role in unpicked]
        return releases, owners, picked, disabled, left_out

    def components_selected(self, catalog: dict, enabled: list):
        """A predicate: is a component role picked by platform_components_selected (empty: every enabled one)?

        It narrows the run as ``--tags <component>,...`` does (both apply when both are given): AWX job templates
        set it from a survey, where tags would be a second, free-text field. Names outside the enabled
        components are refused here (preflight refuses names outside the catalog before anything changes).
        """
        (value,) = self.evaluate_variables(["platform_components_selected | default([])"])
        if value in (None, "", []):
            return lambda role: True
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PlatformError(f"platform_components_selected: must be a list of component names, got {value!r}")
        unknown = [name for name in value if name not in enabled]
        if unknown:
            raise PlatformError(
                f"platform_components_selected: {', '.join(unknown)} "
                f"{'is not an enabled component' if len(unknown) == 1 else 'are not enabled components'} of "
                f"this cluster; choose among: {', '.join(enabled)} (the catalog: {', '.join(catalog)})"
            )
        chosen = set(value)
        return lambda role: role in chosen

    # ------------------------------------------------------------------ the task
    def act(self, args):
        catalog = args.pop("components")
        stamp = args.pop("stamp")
        for_apply = args.pop("for_apply")
        if (catalog is None) == (args["releases"] is None):
            raise PlatformError("release_render: give either releases or components (the catalog), not both")
        disabled, left_out, owners, picked = [], [], [], None
        if catalog is not None:
            releases, owners, picked, disabled, left_out = self.describe(catalog, every_enabled=for_apply)
            if not for_apply:
                # Render mode renders what --tags picks; apply renders everything and installs the picked.
                keep = [i for i, p in enumerate(picked) if p]
                releases, owners, picked = [releases[i] for i in keep], [owners[i] for i in keep], [True] * len(keep)
                problems = incomplete_problems(releases, left_out)
                if problems:
                    raise PlatformError("; ".join(problems))
            args["releases"] = self.validate_releases(releases)
            # What each release renders must be provided by an enabled component (CRDs): checked on the render.
            args["requires"] = {
                "catalog": catalog,
                "enabled": sorted(set(catalog) - set(disabled)),
                "owners": {release["component"]: owner for release, owner in zip(releases, owners, strict=True)},
            }
        validated = args["releases"]
        dest = args["dest"]
        plan_dir = None
        if for_apply and self._task.check_mode:
            # Apply under --check plans from this run's render without touching the build folder.
            plan_dir = args["plan_dir"] = tempfile.mkdtemp(prefix="mlops-platform-plan-")
        result = render_releases(args, self._task.check_mode, self._task.diff, run_command, find_helm)
        if catalog is not None:
            # Folders of disabled components, and of wholly rendered ones that no longer release them.
            rendered_roles = set(owners) - (set() if for_apply else set(left_out))
            stale = stale_folders(dest, catalog, set(disabled) | rendered_roles, {r["component"] for r in validated})
            remove_folders(stale, self._task.check_mode)
            result["removed"] = [os.path.basename(path) for path in stale]
            result["changed"] = result["changed"] or bool(stale)
        # A stamp records a complete render: not one that --tags narrowed. Files a later render
        # changes (even a failed one) no longer match it, so it never needs removing.
        if stamp and not left_out and not for_apply and not self._task.check_mode:
            reuse.write_stamp(dest, stamp)
        folders = {r["component"]: r["folder"] for r in result["releases"]}
        counts = {r["component"]: r["manifests"] for r in result["releases"]}
        picked = picked if picked is not None else [True] * len(validated)
        pending = [
            pending_entry(release, args, folders[release["component"]], counts[release["component"]])
            for release, chosen in zip(validated, picked, strict=True)
            if chosen
        ]
        if plan_dir:
            result["plan_dir"] = plan_dir
        result["ansible_facts"] = {"release__pending": pending}
        return result

    @staticmethod
    def validate_releases(releases: list) -> list:
        """The descriptions, checked against the task's argument spec, with its defaults applied."""
        validator = ArgumentSpecValidator(ARGUMENT_SPEC["releases"]["options"])
        validated, problems = [], []
        for release in releases:
            outcome = validator.validate(release)
            # Each message names the release (its component), not only the option.
            problems += [f"{release.get('component')}: {message}" for message in outcome.error_messages]
            validated.append(outcome.validated_parameters)
        if problems:
            raise PlatformError("release descriptions: " + "; ".join(problems))
        return plain(validated)
