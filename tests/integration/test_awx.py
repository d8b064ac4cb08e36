"""AWX as code: playbooks/awx.yml run for real (the awx.awx modules of the `ansible` package) against a small
AWX API stand-in on 127.0.0.1 (tests/integration/awx_standin/server.py: it implements only what those modules
call and records what they send; it is not AWX), twice: the second run changes nothing and writes nothing.

Then what AWX received is cross-checked against the repository:
- every job template runs a playbook that exists, from the project; every survey variable is an option of a role
  that playbook runs (or a play variable mapped onto one) with a compatible type and choices;
- the inventories are the repository's inventories/ folders, synced from the project;
- the credential types' injectors, rendered as AWX renders them (Jinja2 sandbox, tower.filename), set the
  environment the infrastructure role detects (cloud_credentials) and that the tools read: the AWS SDK resolves
  the injected profile (botocore, for real), kubelogin and Terraform's azurerm get every variable their login
  needs, and nothing else is injected;
- the workflow is render -> approval -> deploy -> verify (status).
Each check is shown failing once on a planted defect (mutations of what AWX received).
What is not proven here: a real AWX accepting and running these (project sync, survey prompts, jobs, the
injectors in a real job); see docs/awx.md.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from types import SimpleNamespace

import botocore.session
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.mlops.platform.plugins.module_utils.preflight import MODES
from ansible_collections.mlops.platform.plugins.module_utils.terraform import credentials_in_env

from .awx_standin.server import start
from .conftest import REPO, mutated_collection, run_playbook, run_site

TOKEN = "stand-in-token"
SCM_URL = "https://git.example.invalid/mlops/platform.git"
EE_IMAGE = "registry.example.invalid/mlops-platform-ee:0.1.0"
PREFIX = "mlops-platform"
JOB_TEMPLATES = {"render", "deploy", "destroy", "status", "drift", "promote"}

# Environment variables a tool of the execution environment reads, and which tool (the injectors may set only these).
# https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html (AWS SDKs and CLI, Terraform's AWS provider)
# https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs (ARM_*), https://azure.github.io/kubelogin/cli/get-token.html
# (AAD_LOGIN_METHOD, AZURE_*), https://learn.microsoft.com/azure/developer/python/sdk/authentication/overview (AZURE_*).
READERS = {
    "AWS_CONFIG_FILE": "AWS SDKs / CLI",
    "AWS_PROFILE": "AWS SDKs / CLI; the infrastructure role (cloud_credentials)",
    "ARM_CLIENT_ID": "terraform azurerm; the infrastructure role",
    "ARM_CLIENT_SECRET": "terraform azurerm",
    "ARM_TENANT_ID": "terraform azurerm",
    "ARM_SUBSCRIPTION_ID": "terraform azurerm; the infrastructure role",
    "ARM_USE_OIDC": "terraform azurerm; the infrastructure role",
    "ARM_OIDC_TOKEN_FILE_PATH": "terraform azurerm",
    "AZURE_CLIENT_ID": "kubelogin, Azure SDKs; the infrastructure role",
    "AZURE_CLIENT_SECRET": "kubelogin, Azure SDKs",
    "AZURE_TENANT_ID": "kubelogin, Azure SDKs",
    "AZURE_SUBSCRIPTION_ID": "Azure SDKs",
    "AZURE_FEDERATED_TOKEN_FILE": "kubelogin, Azure SDKs",
    "AAD_LOGIN_METHOD": "kubelogin (over the kubeconfig's --login azurecli)",
}
# What each Azure login needs (same sources).
AZURE_LOGINS = {
    "spn": {"ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID", "AZURE_CLIENT_ID"}
    | {"AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"},
    "workloadidentity": {"ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID", "ARM_USE_OIDC"}
    | {"ARM_OIDC_TOKEN_FILE_PATH", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"},
}
# Survey question type -> the argument-spec types that take its answer.
SURVEY_TYPES = {
    "text": {"str", "raw", "path"},
    "textarea": {"str", "raw"},
    "password": {"str", "raw"},
    "integer": {"int", "raw"},
    "float": {"float", "raw"},
    "multiplechoice": {"str", "raw", "bool"},
    "multiselect": {"list", "raw"},
}
# Options typed raw whose values are checked elsewhere: their allowed values.
RAW_CHOICES = {"platform_mode": list(MODES)}
BOOL_STRINGS = {"true", "false"}


# ---- the run


@pytest.fixture(scope="module")
def awx(tmp_path_factory):
    """playbooks/awx.yml run twice against the stand-in: (first run, second run, store, writes of the second)."""
    server, store = start(TOKEN)
    build = tmp_path_factory.mktemp("awx")
    env = {"CONTROLLER_HOST": f"http://127.0.0.1:{server.server_address[1]}", "CONTROLLER_OAUTH_TOKEN": TOKEN}
    args = ["playbooks/awx.yml", "-e", f"awx_scm_url={SCM_URL}", "-e", f"awx_ee_image={EE_IMAGE}"]
    try:
        first = run_playbook(args, build, env)
        store.requests.clear()
        second = run_playbook(args, build, env)
        writes = [r for r in store.requests if r[0] != "GET"]
    finally:
        server.shutdown()
    return SimpleNamespace(first=first, second=second, store=store, writes=writes)


def state_of(store) -> dict:
    """What AWX holds, as plain data (mutations edit a copy)."""
    return copy.deepcopy({"objects": store.objects, "surveys": store.surveys, "links": store.links})


def named(state: dict, collection: str) -> dict:
    return {o["name"]: o for o in state["objects"][collection].values()}


# ---- the repository side


def load(path: Path):
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def role_options(role: str) -> dict:
    """Every option of every entry point of the role's argument specs."""
    spec = load(REPO / "roles" / role / "meta" / "argument_specs.yml") or {}
    options = {}
    for entry in (spec.get("argument_specs") or {}).values():
        options.update((entry or {}).get("options") or {})
    return options


def _role_refs(node) -> list:
    """mlops.platform role names that tasks/plays reference (import_role, include_role, roles:)."""
    found = []
    if isinstance(node, dict):
        for key in ("ansible.builtin.import_role", "ansible.builtin.include_role", "import_role", "include_role"):
            if isinstance(node.get(key), dict):
                found.append(node[key].get("name", ""))
        for role in node.get("roles") or []:
            found.append(role.get("role", "") if isinstance(role, dict) else role)
        for value in node.values():
            found += _role_refs(value)
    elif isinstance(node, list):
        for item in node:
            found += _role_refs(item)
    return [name.split(".")[-1] for name in found if name]


def playbook_scope(playbook: Path) -> tuple:
    """(roles the playbook runs, transitively through imported playbooks and role tasks; its play vars)."""
    roles, play_vars, seen = set(), {}, set()

    def visit_playbook(path: Path):
        for play in load(path) or []:
            if "import_playbook" in play or "ansible.builtin.import_playbook" in play:
                target = play.get("import_playbook") or play["ansible.builtin.import_playbook"]
                visit_playbook(path.parent / target)
                continue
            play_vars.update(play.get("vars") or {})
            for role in _role_refs(play):
                visit_role(role)

    def visit_role(role: str):
        if role in seen:
            return
        seen.add(role)
        roles.add(role)
        for tasks in sorted((REPO / "roles" / role / "tasks").glob("*.yml")):
            for ref in _role_refs(load(tasks)):
                visit_role(ref)

    visit_playbook(playbook)
    return roles, play_vars


def declared(variable: str, roles: set, play_vars: dict) -> tuple:
    """(option name, its spec) that receives ``variable``: an option of a role, or of a play variable mapped from it."""
    names = [variable] + [k for k, v in play_vars.items() if isinstance(v, str) and re.search(rf"\b{variable}\b", v)]
    for name in names:
        for role in sorted(roles):
            spec = role_options(role).get(name)
            if spec is not None:
                return name, spec
    return None, None


def survey_problems(variable: str, question: dict, option: str, spec: dict) -> list:
    kind, want = question.get("type"), spec.get("type", "str")
    problems = []
    if want not in SURVEY_TYPES.get(kind, set()):
        problems.append(f"{variable}: a {kind} answer does not fit {option} (type {want})")
    if kind in ("multiplechoice", "multiselect"):
        choices = question.get("choices") or []
        allowed = spec.get("choices") or RAW_CHOICES.get(option)
        if want == "bool":
            allowed = sorted(BOOL_STRINGS)
        if allowed is not None and not set(choices) <= {str(a) for a in allowed}:
            problems.append(f"{variable}: choices {choices} are not all allowed by {option} ({allowed})")
        if kind == "multiselect" and spec.get("choices") and set(choices) != set(spec["choices"]):
            problems.append(f"{variable}: choices {choices} leave out some of {option}'s {spec['choices']}")
    return problems


# ---- checks over what AWX received


def check_job_templates(state: dict) -> list:
    problems = []
    project = named(state, "projects").get(f"{PREFIX} project")
    if not project or project.get("scm_url") != SCM_URL or project.get("scm_type") != "git":
        return [f"the project is not this repository ({SCM_URL}): {project}"]
    templates = {name[len(PREFIX) + 1 :]: t for name, t in named(state, "job_templates").items()}
    if set(templates) != JOB_TEMPLATES:
        problems.append(f"job templates {sorted(templates)}, want {sorted(JOB_TEMPLATES)}")
    for what, template in templates.items():
        playbook = REPO / template["playbook"]
        if template.get("project") != project["id"]:
            problems.append(f"{what}: not run from the project")
        if not playbook.is_file():
            problems.append(f"{what}: playbook {template['playbook']} does not exist in the repository")
            continue
        if not template.get("ask_inventory_on_launch"):
            problems.append(f"{what}: the environment (inventory) is not chosen at launch")
        roles, play_vars = playbook_scope(playbook)
        survey = state["surveys"].get(("job_templates", template["id"])) or {}
        if not template.get("survey_enabled") or not survey.get("spec"):
            problems.append(f"{what}: no survey")
        for question in survey.get("spec") or []:
            variable = question.get("variable")
            option, spec = declared(variable, roles, play_vars)
            if spec is None:
                problems.append(
                    f"{what}: survey variable {variable} is not an option of a role {template['playbook']} runs "
                    f"({', '.join(sorted(roles))})"
                )
                continue
            problems += [f"{what}: {p}" for p in survey_problems(variable, question, option, spec)]
    return problems


def check_inventories(state: dict) -> list:
    project = named(state, "projects")[f"{PREFIX} project"]
    want = {f"inventories/{p.parent.name}" for p in (REPO / "inventories").glob("*/hosts.yml")}
    sources = list(state["objects"]["inventory_sources"].values())
    got = {s.get("source_path") for s in sources}
    problems = [] if got == want else [f"inventory sources {sorted(got)}, the repository has {sorted(want)}"]
    for source in sources:
        if source.get("source") != "scm" or source.get("source_project") != project["id"]:
            problems.append(f"{source['name']}: not synced from the project (source scm)")
        if source.get("inventory") not in state["objects"]["inventories"]:
            problems.append(f"{source['name']}: its inventory does not exist")
    return problems


def render_injectors(ctype: dict, inputs: dict, workdir: Path) -> tuple:
    """(env, file text) as AWX renders a credential type's injectors: CredentialType.inject_credential in
    https://github.com/ansible/awx/blob/devel/awx/main/models/credential/__init__.py renders with an
    ImmutableSandboxedEnvironment over the non-empty inputs (an absent optional input is undefined, so
    `{% if role_arn %}` is false), writes the file first and passes its path as tower.filename."""
    jinja = ImmutableSandboxedEnvironment()
    namespace = dict(inputs)
    file_text = None
    injectors = ctype.get("injectors") or {}
    if "template" in (injectors.get("file") or {}):
        file_text = jinja.from_string(injectors["file"]["template"]).render(**namespace)
        path = workdir / f"{ctype['id']}.cfg"
        path.write_text(file_text)
        namespace["tower"] = SimpleNamespace(filename=str(path))
    env = {k: jinja.from_string(str(v)).render(**namespace) for k, v in (injectors.get("env") or {}).items()}
    return env, file_text


def sample_inputs(ctype: dict, **extra) -> dict:
    inputs = {}
    for field in ctype["inputs"]["fields"]:
        if field["id"] in ctype["inputs"].get("required", []):
            inputs[field["id"]] = field.get("default") or f"sample-{field['id']}"
    inputs.update(extra)
    return inputs


def check_credential_types(state: dict, workdir: Path) -> list:
    problems = []
    types = {name[len(PREFIX) + 1 :]: t for name, t in named(state, "credential_types").items()}
    for what in ("AWS", "Azure service principal", "Azure workload identity"):
        if what not in types:
            problems.append(f"no credential type {PREFIX} {what}")
    for what, ctype in types.items():
        fields = {f["id"]: f for f in ctype["inputs"]["fields"]}
        for fid, field in fields.items():
            if re.search(r"secret|token$|password|key$", fid) and fid != "access_key_id" and not field.get("secret"):
                problems.append(f"{what}: input {fid} is not secret")
        used = set(re.findall(r"\{\{\s*(\w+)", json.dumps(ctype["injectors"]))) | set(
            re.findall(r"\{%\s*if\s+(\w+)", json.dumps(ctype["injectors"]))
        )
        if used - set(fields) - {"tower"}:
            problems.append(f"{what}: injectors use {sorted(used - set(fields) - {'tower'})}, not inputs")
        cloud = "aws" if what.startswith("AWS") else "azure"
        for inputs in (sample_inputs(ctype), sample_inputs(ctype, role_arn="arn:aws:iam::123456789012:role/deploy")):
            if cloud == "azure" and "role_arn" in inputs:
                continue
            env, _file = render_injectors(ctype, inputs, workdir)
            unread = sorted(set(env) - set(READERS))
            if unread:
                problems.append(f"{what}: injects {unread}, which no tool of the execution environment reads")
            if not credentials_in_env(cloud, env):
                problems.append(
                    f"{what}: the infrastructure role would not see a credential (it looks for "
                    f"{', '.join(credentials_in_env(cloud, {}, set_only=False))})"
                )
            problems += (aws_problems if cloud == "aws" else azure_problems)(what, env, inputs)
    return problems


def aws_problems(what: str, env: dict, inputs: dict) -> list:
    """The AWS SDK (botocore, for real) resolves the injected profile: the keys, or the role assumed with them."""
    if not env.get("AWS_CONFIG_FILE") or not env.get("AWS_PROFILE"):
        return [f"{what}: AWS_CONFIG_FILE and AWS_PROFILE are not both injected"]
    session = botocore.session.Session()
    for name, value in env.items():
        session.set_config_variable({"AWS_CONFIG_FILE": "config_file", "AWS_PROFILE": "profile"}[name], value)
    # Only the providers that read the config file: no environment credentials of the caller, no instance metadata.
    resolver = session.get_component("credential_provider")
    resolver.providers = [p for p in resolver.providers if p.METHOD in ("assume-role", "config-file")]
    credentials = session.get_credentials()
    if "role_arn" in inputs:
        config = session.get_scoped_config()
        if credentials is None or credentials.method != "assume-role" or config.get("role_arn") != inputs["role_arn"]:
            return [f"{what}: with role_arn the SDK does not assume the role ({credentials and credentials.method})"]
        return []
    if credentials is None or credentials.access_key != inputs["access_key_id"]:
        return [f"{what}: the SDK does not read the access key from the injected profile"]
    return []


def azure_problems(what: str, env: dict, inputs: dict) -> list:
    login = env.get("AAD_LOGIN_METHOD")
    if login not in AZURE_LOGINS:
        return [f"{what}: AAD_LOGIN_METHOD {login!r} is not one of {sorted(AZURE_LOGINS)}"]
    missing = sorted(name for name in AZURE_LOGINS[login] if not env.get(name))
    extra = sorted(set(env) - AZURE_LOGINS[login] - {"AAD_LOGIN_METHOD", "AZURE_SUBSCRIPTION_ID"})
    problems = [f"{what}: {login} login needs {missing}"] if missing else []
    if extra:
        problems.append(f"{what}: {extra} are not part of the {login} login")
    return problems


def check_workflow(state: dict) -> list:
    workflows = named(state, "workflow_job_templates")
    workflow = workflows.get(f"{PREFIX} release")
    if workflow is None:
        return [f"no workflow {PREFIX} release: {sorted(workflows)}"]
    nodes = {n["id"]: n for n in state["objects"]["workflow_job_template_nodes"].values()}
    nodes = {i: n for i, n in nodes.items() if n["workflow_job_template"] == workflow["id"]}
    templates = {t["id"]: t["name"][len(PREFIX) + 1 :] for t in state["objects"]["job_templates"].values()}
    approvals = state["objects"]["workflow_approval_templates"]

    def what(node: dict) -> str:
        ujt = node.get("unified_job_template")
        return "approval" if ujt in approvals else templates.get(ujt, f"unknown {ujt}")

    children = {i: state["links"].get(("workflow_job_template_nodes", i, "success_nodes"), []) for i in nodes}
    roots = [i for i in nodes if not any(i in c for c in children.values())]
    path = []
    node = roots[0] if len(roots) == 1 else None
    while node is not None:
        path.append(what(nodes[node]))
        node = children[node][0] if len(children[node]) == 1 else None
    problems = []
    if path != ["render", "approval", "deploy", "status"]:
        problems.append(f"the workflow runs {path}, not render -> approval -> deploy -> verify (status)")
    survey = state["surveys"].get(("workflow_job_templates", workflow["id"])) or {}
    if [q.get("variable") for q in survey.get("spec") or []] != ["platform_components_selected"]:
        problems.append("the workflow's survey does not ask for the components")
    if not workflow.get("ask_inventory_on_launch"):
        problems.append("the workflow does not ask for the environment (inventory)")
    return problems


def check_execution_environment(state: dict) -> list:
    ees = named(state, "execution_environments")
    ee = ees.get(f"{PREFIX} ee")
    if ee is None or ee.get("image") != EE_IMAGE:
        return [f"the execution environment is not {EE_IMAGE}: {ee}"]
    users = list(state["objects"]["job_templates"].values()) + list(state["objects"]["inventory_sources"].values())
    return [f"{u['name']}: not run in {PREFIX} ee" for u in users if u.get("execution_environment") != ee["id"]]


CHECKS = {
    "job templates": lambda state, workdir: check_job_templates(state),
    "inventories": lambda state, workdir: check_inventories(state),
    "workflow": lambda state, workdir: check_workflow(state),
    "execution environment": lambda state, workdir: check_execution_environment(state),
    "credential types": check_credential_types,
}


# ---- tests


def test_awx_playbook_runs_and_is_idempotent(awx):
    assert awx.first.rc == 0, awx.first.output[-4000:]
    assert awx.first.changed() > 0
    assert awx.second.rc == 0, awx.second.output[-4000:]
    assert awx.second.changed() == 0, awx.second.output[-4000:]
    assert awx.writes == [], awx.writes
    print(f"awx.yml: first run {awx.first.seconds:.1f}s, second {awx.second.seconds:.1f}s (changed=0, no writes)")


def test_missing_inputs_refused(tmp_path):
    """Without the repository URL and the image: one message naming both, before any request."""
    run = run_playbook(["playbooks/awx.yml"], tmp_path, {"CONTROLLER_HOST": "http://127.0.0.1:9"})
    assert run.rc != 0
    assert "awx_scm_url" in run.output and "awx_ee_image" in run.output and "Nothing was changed" in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_what_awx_received(awx, name, tmp_path):
    assert CHECKS[name](state_of(awx.store), tmp_path) == []


def test_components_choices_are_the_catalog():
    catalog = load(REPO / "roles/platform/defaults/main/components.yml")["platform_component_catalog"]
    assert role_options("platform")["platform_components_selected"]["choices"] == list(catalog)


def _files(build: Path) -> dict:
    return {str(p.relative_to(build)): p.read_bytes() for p in sorted(build.rglob("*")) if p.is_file()}


def test_components_selected_renders_like_tags(tmp_path, upstream):
    """The survey's platform_components_selected narrows a render as --tags does (same files); a name outside the
    catalog is refused by preflight, naming the variable and the allowed values, before anything is written."""
    inventory = REPO / "inventories" / "aws-dev"
    selected, tagged, wrong = tmp_path / "selected", tmp_path / "tagged", tmp_path / "wrong"
    run = run_site(inventory, selected, "-e", json.dumps({"platform_components_selected": ["mlflow", "kserve"]}))
    assert run.rc == 0, run.output[-3000:]
    assert run_site(inventory, tagged, "--tags", "mlflow,kserve").rc == 0
    (cluster,) = [p.name for p in selected.iterdir()]
    # The kserve component's releases are kserve, kserve_crd and kserve_models.
    folders = sorted(p.name for p in (selected / cluster).iterdir() if p.is_dir())
    assert folders and {f.split("_")[0] for f in folders} == {"kserve", "mlflow"}, folders
    assert _files(selected) == _files(tagged)
    run = run_site(inventory, wrong, "-e", json.dumps({"platform_components_selected": ["mlfow"]}))
    assert run.rc != 0
    assert "platform_components_selected must be one or more of: storage" in " ".join(run.output.split())
    assert not wrong.exists() or not any(wrong.rglob("*"))


def _rendered_components(build: Path) -> set:
    return {p.name.split("_")[0] for cluster in build.iterdir() for p in cluster.iterdir() if p.is_dir()}


def test_components_selected_and_tags_both_narrow(tmp_path, upstream):
    """With --tags too, a release must be picked by both; planted: release_render ignoring the selection."""
    inventory = REPO / "inventories" / "aws-dev"
    args = ("--tags", "mlflow,kserve,argocd", "-e", json.dumps({"platform_components_selected": ["mlflow", "kserve"]}))
    run = run_site(inventory, tmp_path / "real", *args)
    assert run.rc == 0, run.output[-3000:]
    assert _rendered_components(tmp_path / "real") == {"mlflow", "kserve"}
    copy = mutated_collection(
        tmp_path / "mutant", "plugins/action/release_render.py", "return lambda role: role in chosen", "return bool"
    )
    run = run_site(inventory, tmp_path / "defect", *args, root=copy)
    # The defect picks argocd too (--tags names it): its render refuses a partial platform, or renders it.
    assert (
        run.rc != 0 and "argocd: its objects are made from the releases of every enabled component" in run.output
    ) or ("argocd" in _rendered_components(tmp_path / "defect")), run.output[-2000:]


def bool_use_problems(variable: str, texts: dict) -> list:
    """A survey answers a bool option with the string "true"/"false" (and the plays skip Ansible's argument
    conversion: rolespec_validate false), so the roles must read it through `| bool`: a bare `when: VAR` would
    take "false" as true. ``texts``: path -> YAML text of the roles' tasks and the playbooks."""
    problems, filtered = [], False
    for path, text in texts.items():
        for line in text.splitlines():
            code = line.split("#", 1)[0]
            if re.search(rf"\b{variable}\s*\|\s*bool\b", code):
                filtered = True
            elif re.search(rf"^\s*(when:|-)\s*(not\s+)?{variable}\s*$", code):
                problems.append(f"{path}: `{code.strip()}` reads the survey's string {variable} without | bool")
    if not filtered:
        problems.append(f"{variable}: no role reads it through | bool")
    return problems


def test_survey_booleans_read_through_bool(awx):
    state = state_of(awx.store)
    texts = {
        str(p.relative_to(REPO)): p.read_text()
        for p in [*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("playbooks/*.yml")]
        if not str(p).startswith(str(REPO / "roles" / "awx"))
    }
    booleans = set()
    for template in state["objects"]["job_templates"].values():
        roles, play_vars = playbook_scope(REPO / template["playbook"])
        for question in state["surveys"][("job_templates", template["id"])]["spec"]:
            option, spec = declared(question["variable"], roles, play_vars)
            if spec and spec.get("type") == "bool":
                booleans.add(option)
    assert booleans == {"teardown_allow_prod"}
    for variable in sorted(booleans):
        assert bool_use_problems(variable, texts) == []
    # Planted: the prod guard reading the answer bare.
    planted = {"confirm.yml": "    that:\n      - teardown_allow_prod\n"}
    assert bool_use_problems("teardown_allow_prod", planted)


def _job_template(state: dict, what: str) -> dict:
    return named(state, "job_templates")[f"{PREFIX} {what}"]


def _question(state: dict, what: str, variable: str) -> dict:
    spec = state["surveys"][("job_templates", _job_template(state, what)["id"])]["spec"]
    return next(q for q in spec if q["variable"] == variable)


def _credential_type(state: dict, what: str) -> dict:
    return named(state, "credential_types")[f"{PREFIX} {what}"]


def _rewire_workflow(state: dict):
    # render -> deploy directly: the approval node is skipped.
    nodes = {n["identifier"]: n["id"] for n in state["objects"]["workflow_job_template_nodes"].values()}
    state["links"][("workflow_job_template_nodes", nodes["render"], "success_nodes")] = [nodes["deploy"]]


MUTATIONS = {
    "playbook that does not exist": (
        lambda s: _job_template(s, "status").update(playbook="playbooks/state.yml"),
        "job templates",
        "does not exist",
    ),
    "survey variable no role declares": (
        lambda s: _question(s, "drift", "drift_scope").update(variable="drift_scop"),
        "job templates",
        "drift_scop",
    ),
    "survey choice the role refuses": (
        lambda s: _question(s, "status", "status_format")["choices"].append("yaml"),
        "job templates",
        "status_format",
    ),
    "survey type that does not fit": (
        lambda s: _question(s, "destroy", "teardown_allow_prod").update(type="integer"),
        "job templates",
        "teardown_allow_prod",
    ),
    "components survey leaves one out": (
        lambda s: _question(s, "render", "platform_components_selected")["choices"].remove("mlflow"),
        "job templates",
        "platform_components_selected",
    ),
    "inventory folder that does not exist": (
        lambda s: next(iter(s["objects"]["inventory_sources"].values())).update(source_path="inventories/aws-prod"),
        "inventories",
        "inventory sources",
    ),
    "workflow without the approval": (_rewire_workflow, "workflow", "not render -> approval"),
    "AWS profile variable misspelt": (
        lambda s: _credential_type(s, "AWS")["injectors"]["env"].update(
            AWS_PROFLE=_credential_type(s, "AWS")["injectors"]["env"].pop("AWS_PROFILE")
        ),
        "credential types",
        "AWS_PROFLE",
    ),
    "AWS role not assumed": (
        lambda s: _credential_type(s, "AWS")["injectors"]["file"].update(
            template=_credential_type(s, "AWS")["injectors"]["file"]["template"].replace("role_arn =", "rolearn =")
        ),
        "credential types",
        "does not assume the role",
    ),
    "Azure secret not injected": (
        lambda s: _credential_type(s, "Azure service principal")["injectors"]["env"].pop("ARM_CLIENT_SECRET"),
        "credential types",
        "ARM_CLIENT_SECRET",
    ),
    "Azure login method missing": (
        lambda s: _credential_type(s, "Azure workload identity")["injectors"]["env"].pop("AAD_LOGIN_METHOD"),
        "credential types",
        "AAD_LOGIN_METHOD",
    ),
    "secret input shown": (
        lambda s: _credential_type(s, "AWS")["inputs"]["fields"][1].pop("secret"),
        "credential types",
        "secret_access_key",
    ),
    "job template outside the EE": (
        lambda s: _job_template(s, "deploy").update(execution_environment=None),
        "execution environment",
        "deploy",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_caught(awx, mutation, tmp_path):
    plant, check, needle = MUTATIONS[mutation]
    state = state_of(awx.store)
    assert CHECKS[check](state, tmp_path) == []
    plant(state)
    problems = CHECKS[check](state, tmp_path)
    assert any(needle in p for p in problems), problems
