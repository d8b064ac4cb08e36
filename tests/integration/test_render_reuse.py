"""The one-task render path, run for real: reuse of a current render, pruning, and the checks preflight now owns.

(a) an unchanged rerun ends at once, and anything that changes an input or an output renders again;
(b) a render that depends on a run-time lookup is never reused; a --tags render keeps the stamp;
(c) a disabled component's folder goes away; (d) preflight checks every role's argument spec and the
Argo CD settings in the same single message, before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .conftest import REPO, run_site

STAMP = ".platform-render.json"
REUSED = "is current (same inputs, files untouched since the last render); nothing to do"
RELEASE_TASK = "TASK [mlops.platform.release : Release | Describe and render every release]"


def snapshot(build: Path) -> dict:
    return {
        str(p.relative_to(build)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(build.rglob("*"))
        if p.is_file()
    }


def copy_inventory(tmp_path: Path, name: str = "aws-dev", **variables) -> Path:
    """A copy of inventories/<name> with ``variables`` added to its group_vars/all."""
    dest = tmp_path / name
    for path in (REPO / "inventories" / name).rglob("*"):
        target = dest / path.relative_to(REPO / "inventories" / name)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    if variables:
        (dest / "group_vars" / "all" / "zz-test.yml").write_text(yaml.safe_dump(variables))
    return dest


def host_dir(build: Path) -> Path:
    (only,) = [p for p in build.iterdir() if p.is_dir()]
    return only


def test_a_unchanged_rerun_ends_at_once_and_any_change_renders(tmp_path, upstream):
    inventory = copy_inventory(tmp_path)
    build = tmp_path / "build"
    first = run_site(inventory, build)
    assert first.rc == 0, first.output[-4000:]
    host = host_dir(build)
    assert (host / STAMP).is_file()

    before = snapshot(build)
    again = run_site(inventory, build)
    assert again.rc == 0, again.output[-4000:]
    assert REUSED in again.output and RELEASE_TASK not in again.output
    assert again.recap["mlops-dev-aws"] == {"ok": 1, "changed": 0, "unreachable": 0, "failed": 0}
    assert snapshot(build) == before

    # A rendered file edited by hand: rendered again, and the edit is gone.
    manifests = host / "mlflow" / "manifests.yaml"
    original = manifests.read_text()
    manifests.write_text(original + "# edited\n")
    restored = run_site(inventory, build)
    assert restored.rc == 0 and REUSED not in restored.output and restored.changed() == 1, restored.output[-4000:]
    assert manifests.read_text() == original

    # An inventory variable: rendered again, with the new value.
    (inventory / "group_vars" / "all" / "zz-test.yml").write_text(yaml.safe_dump({"mlflow_replicas": 2}))
    changed = run_site(inventory, build)
    assert changed.rc == 0 and REUSED not in changed.output and changed.changed() == 1, changed.output[-4000:]
    assert re.search(r"^replicaCount: 2$", (host / "mlflow" / "values.yaml").read_text(), re.MULTILINE)

    # An extra var is an input too; platform_render_reuse=false always renders.
    for extra in (("-e", "mlflow_replicas=3"), ("-e", "platform_render_reuse=false")):
        run = run_site(inventory, build, *extra)
        assert run.rc == 0 and REUSED not in run.output and RELEASE_TASK in run.output, run.output[-4000:]


def test_b_run_time_lookups_are_never_reused(tmp_path, upstream):
    inventory = copy_inventory(tmp_path, platform_tags_note="{{ lookup('ansible.builtin.env', 'HOME') }}")
    build = tmp_path / "build"
    for _run in range(2):
        run = run_site(inventory, build, "-v")
        assert run.rc == 0, run.output[-4000:]
        assert REUSED not in run.output and RELEASE_TASK in run.output
    assert "zz-test.yml looks something up at run time" in " ".join(run.output.split())
    assert not (host_dir(build) / STAMP).exists()


def test_b_cloud_credentials_in_the_environment_are_never_reused(tmp_path, upstream):
    """With credentials, Terraform may read platform_infra from its state in the run: always render."""
    inventory = copy_inventory(tmp_path)
    build = tmp_path / "build"
    assert run_site(inventory, build).rc == 0
    fake = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLENOTREAL00", "AWS_SECRET_ACCESS_KEY": "not-a-secret"}
    run = run_site(inventory, build, "-v", environment=fake)
    assert run.rc == 0, run.output[-4000:]
    assert REUSED not in run.output and RELEASE_TASK in run.output
    assert "AWS_ACCESS_KEY_ID set: Terraform's state may be read" in " ".join(run.output.replace("''", "'").split())
    assert "not-a-secret" not in run.output
    assert REUSED in run_site(inventory, build).output


def test_b_a_render_that_reads_the_model_registry_is_never_reused(tmp_path, upstream):
    """What an MLflow alias points at is no input file: a served registered model renders every run (the session's
    registry, conftest.model_registry), and an unchanged registry changes nothing."""
    served = {"name": "iris", "model_format": "mlflow", "registered_model": "iris-classifier"}
    inventory = copy_inventory(tmp_path, kserve_inference_services=[served])
    build = tmp_path / "build"
    assert run_site(inventory, build).rc == 0
    run = run_site(inventory, build, "-v")
    assert run.rc == 0 and run.changed() == 0, run.output[-4000:]
    assert REUSED not in run.output and RELEASE_TASK in run.output
    said = " ".join(run.output.split())
    assert "kserve_inference_services serve MLflow aliases of iris-classifier: the registry is read in this run" in said


def test_b_a_tags_render_keeps_the_complete_render_stamp(tmp_path, upstream):
    inventory = copy_inventory(tmp_path)
    build = tmp_path / "build"
    assert run_site(inventory, build).rc == 0
    stamp = (host_dir(build) / STAMP).read_bytes()
    tagged = run_site(inventory, build, "--tags", "mlflow")
    assert tagged.rc == 0 and tagged.changed() == 0, tagged.output[-4000:]
    assert (host_dir(build) / STAMP).read_bytes() == stamp
    assert REUSED in run_site(inventory, build).output


def test_c_a_disabled_component_folder_is_removed(tmp_path, upstream):
    inventory = copy_inventory(tmp_path)
    build = tmp_path / "build"
    assert run_site(inventory, build).rc == 0
    host = host_dir(build)
    assert (host / "mlflow" / "chart.yaml").is_file()
    disabled = run_site(inventory, build, "-e", "mlflow_enabled=false")
    assert disabled.rc == 0 and disabled.changed() == 1, disabled.output[-4000:]
    assert "removed: mlflow" in disabled.output
    assert not (host / "mlflow").exists() and (host / "kserve" / "chart.yaml").is_file()
    assert run_site(inventory, build, "-e", "mlflow_enabled=false").changed() == 0


def test_d_preflight_checks_every_role_argument_spec_and_argocd(tmp_path, upstream):
    inventory = copy_inventory(
        tmp_path,
        mlflow_replicas="many",
        argo_workflows_server_auth_modes=["token"],
        argocd_gitops_repo_url="https://git.example.com/platform.git",
        argocd_gitops_revision="main",
        argocd_host="",
        platform_release_concurrency="all",
        platform_release_timeout="ten minutes",
    )
    build = tmp_path / "build"
    run = run_site(inventory, build)
    assert run.rc != 0
    found = re.search(r"Preflight found (\d+) problem", run.output)
    assert found and int(found.group(1)) == 6, run.output[-4000:]
    for expected in (
        "platform_release_concurrency",
        "platform_release_timeout",
        "mlflow_replicas",
        "argo_workflows_server_auth_modes",
        "argocd_gitops_revision: 'main'",
        "argocd_host:",
    ):
        assert expected in run.output, expected
    assert "Traceback" not in run.output
    assert not build.exists() or list(build.rglob("*")) == []


def test_d_a_disabled_component_arguments_are_not_checked(tmp_path, upstream):
    inventory = copy_inventory(tmp_path, mlflow_enabled=False, mlflow_replicas="many")
    run = run_site(inventory, tmp_path / "build")
    assert run.rc == 0, run.output[-4000:]


def test_the_components_role_imports_the_catalog_in_order():
    catalog = yaml.safe_load((REPO / "roles/platform/defaults/main/components.yml").read_text())
    tasks = yaml.safe_load((REPO / "roles/components/tasks/main.yml").read_text())
    imported = [task["ansible.builtin.import_role"]["name"] for task in tasks]
    assert imported == [f"mlops.platform.{name}" for name in catalog["platform_component_catalog"]]
    assert all(task["ansible.builtin.import_role"]["rolespec_validate"] is False for task in tasks)
