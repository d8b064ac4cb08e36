"""Issue 10, classes 4 and 5 through the real site.yml: a partial platform_versions override merges over the
pinned versions; an inventory without a cluster and two hosts with one cluster name fail, writing nothing."""

from __future__ import annotations

import io
import shutil
import tarfile

import yaml

from .conftest import REPO, run_site, upstream_dir


def _hosts(inventory):
    path = inventory / "hosts.yml"
    return path, yaml.safe_load(path.read_text())


def _assert_refused(run, *expected):
    assert run.rc != 0, run.output[-4000:]
    flat = " ".join(run.output.split())
    for text in expected:
        assert text in flat, run.output[-4000:]
    assert "Traceback" not in run.output
    assert "TASK [mlops.platform.release" not in run.output
    assert "TASK [mlops.platform.infrastructure" not in run.output
    assert list(run.build_dir.rglob("*")) == []


def test_an_inventory_without_a_cluster_fails_and_names_the_group(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("aws-dev")
    path, data = _hosts(inventory)
    data["all"]["children"] = {"workstations": {"hosts": {"laptop": {"ansible_connection": "local"}}}}
    path.write_text(yaml.safe_dump(data))
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(inventory, build)
    _assert_refused(run, "has no host in the group platform_clusters", str(inventory))


def test_every_playbook_fails_without_a_cluster(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("aws-dev")
    path, data = _hosts(inventory)
    data["all"]["children"]["platform_clusters"]["hosts"] = None
    path.write_text(yaml.safe_dump(data))
    build = tmp_path / "build"
    build.mkdir()
    for playbook in ("playbooks/preflight.yml", "playbooks/platform.yml", "playbooks/infrastructure.yml"):
        run = run_site(inventory, build, playbook=playbook)
        _assert_refused(run, "has no host in the group platform_clusters")


def test_two_hosts_with_one_cluster_name_are_refused_naming_both(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("aws-dev")
    path, data = _hosts(inventory)
    hosts = data["all"]["children"]["platform_clusters"]["hosts"]
    hosts["mlops-dev-aws-copy"] = dict(hosts["mlops-dev-aws"])
    path.write_text(yaml.safe_dump(data))
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(inventory, build)
    _assert_refused(
        run, "platform_cluster_name: mlops-dev is the name of more than one host (mlops-dev-aws, mlops-dev-aws-copy)"
    )


def test_two_hosts_with_their_own_names_render_both(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("aws-dev")
    path, data = _hosts(inventory)
    hosts = data["all"]["children"]["platform_clusters"]["hosts"]
    settings = yaml.safe_load((inventory / "group_vars" / "all" / "infra.yml").read_text())
    infra = {**settings["platform_infra"], "cluster_name": "mlops-dev-b"}
    hosts["mlops-dev-aws-b"] = {
        **hosts["mlops-dev-aws"],
        "platform_cluster_name": "mlops-dev-b",
        "platform_infra": infra,
    }
    path.write_text(yaml.safe_dump(data))
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(inventory, build)
    assert run.rc == 0, run.output[-4000:]
    assert (build / "mlops-dev" / "mlflow" / "values.yaml").is_file()
    assert (build / "mlops-dev-b" / "mlflow" / "values.yaml").is_file()


def _rendered(folder) -> str:
    return "\n".join(path.read_text() for path in sorted(folder.glob("*.yaml")))


def _mirror_with_mlflow(tmp_path, version: str):
    """A copy of the chart mirror that also holds the mlflow chart repackaged as ``version``."""
    mirror = tmp_path / "charts"
    shutil.copytree(upstream_dir() / "charts", mirror)
    pinned = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())
    source = mirror / f"mlflow-{pinned['platform_versions']['charts']['mlflow']['version']}.tgz"
    with tarfile.open(source) as old, tarfile.open(mirror / f"mlflow-{version}.tgz", "w:gz") as new:
        for member in old.getmembers():
            content = old.extractfile(member).read() if member.isfile() else None
            if member.name == "mlflow/Chart.yaml":
                chart = yaml.safe_load(content)
                chart["version"] = version
                content = yaml.safe_dump(chart).encode()
                member.size = len(content)
            new.addfile(member, io.BytesIO(content) if content is not None else None)
    return mirror


def test_a_partial_platform_versions_override_merges_over_the_pinned_versions(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("aws-dev")
    (inventory / "group_vars" / "all" / "versions.yml").write_text(
        yaml.safe_dump({"platform_versions": {"charts": {"mlflow": {"version": "9.9.9"}}}})
    )
    mirror = _mirror_with_mlflow(tmp_path, "9.9.9")
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(inventory, build, "-e", f"platform_chart_mirror={mirror}")
    assert run.rc == 0, run.output[-6000:]
    assert "no attribute" not in run.output
    host = build / "mlops-dev"
    assert "helm.sh/chart: mlflow-9.9.9" in _rendered(host / "mlflow")
    # Every other pin (charts and images) is still the versions file's.
    pinned = yaml.safe_load((REPO / "roles/platform/defaults/main/versions.yml").read_text())["platform_versions"]
    values = (host / "mlflow" / "values.yaml").read_text()
    assert pinned["images"]["mlflow"]["repository"] in values and str(pinned["images"]["mlflow"]["tag"]) in values
    cert_manager = pinned["charts"]["cert_manager"]["version"]
    assert f"cert-manager-{cert_manager}" in _rendered(host / "cert_manager")


def test_platform_versions_that_is_not_a_mapping_is_named(broken_inventory, tmp_path, upstream):
    inventory = broken_inventory("aws-dev")
    (inventory / "group_vars" / "all" / "versions.yml").write_text(yaml.safe_dump({"platform_versions": ["x"]}))
    build = tmp_path / "build"
    build.mkdir()
    run = run_site(inventory, build)
    _assert_refused(run, "platform_versions: must be a mapping")
