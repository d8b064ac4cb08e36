from __future__ import annotations

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.release import (
    CHART_FILE,
    KEY_FILE,
    MANAGED_FILES,
    MANIFESTS_FILE,
    VALUES_FILE,
    incomplete_problems,
    owner_of,
    remove_folders,
    stale_folders,
    tag_selected,
)

ROLES = ["argocd", "argo_workflows", "gpu", "kserve", "mlflow"]


# ---------------------------------------------------------------------------- tag_selected
@pytest.mark.parametrize("run_tags", [None, [], ["all"]])
@pytest.mark.parametrize("tag", ["mlflow", "kserve"])
def test_no_tags_or_all_select_everything(run_tags, tag):
    assert tag_selected(tag, run_tags, None) is True
    assert tag_selected(tag, run_tags, []) is True


def test_a_named_tag_selects_only_its_component():
    assert tag_selected("mlflow", ["mlflow"], None) is True
    assert tag_selected("kserve", ["mlflow"], None) is False


def test_several_tags():
    assert tag_selected("kserve", ["mlflow", "kserve"], []) is True
    assert tag_selected("argocd", ["mlflow", "kserve"], []) is False


def test_tagged_selects_every_component():
    assert tag_selected("kserve", ["tagged"], None) is True


def test_untagged_selects_no_component():
    assert tag_selected("kserve", ["untagged"], None) is False


def test_skip_tags_win_over_run_tags():
    assert tag_selected("mlflow", ["mlflow"], ["mlflow"]) is False
    assert tag_selected("mlflow", ["all"], ["mlflow"]) is False
    assert tag_selected("kserve", ["all"], ["mlflow"]) is True


@pytest.mark.parametrize("skip", ["all", "tagged"])
def test_skipping_all_or_tagged_skips_everything(skip):
    assert tag_selected("mlflow", None, [skip]) is False
    assert tag_selected("mlflow", ["mlflow"], [skip]) is False


def test_tags_are_matched_whole():
    assert tag_selected("argocd", ["argo"], None) is False
    assert tag_selected("argo_workflows", ["argo"], None) is False


def test_tuples_are_accepted():
    assert tag_selected("mlflow", ("mlflow",), ()) is True


# ---------------------------------------------------------------------------- owner_of
@pytest.mark.parametrize(
    "folder, expected",
    [
        ("gpu_quota", "gpu"),
        ("gpu", "gpu"),
        ("argo_workflows", "argo_workflows"),
        ("argo_workflows_crds", "argo_workflows"),
        ("argocd", "argocd"),
        ("argocd_apps", "argocd"),
        ("unknown", None),
        ("mlflowx", None),
        ("gp", None),
        ("", None),
    ],
)
def test_owner_of(folder, expected):
    assert owner_of(folder, ROLES) == expected


def test_owner_of_argo_workflows_whatever_the_role_order():
    assert owner_of("argo_workflows", ["argo_workflows", "argocd"]) == "argo_workflows"
    assert owner_of("argo_workflows", ["argocd", "argo_workflows"]) == "argo_workflows"


@pytest.mark.parametrize("roles", [["kserve", "kserve_crd"], ["kserve_crd", "kserve"]])
def test_owner_of_longest_role_wins(roles):
    assert owner_of("kserve_crd", roles) == "kserve_crd"
    assert owner_of("kserve_crd_extra", roles) == "kserve_crd"
    assert owner_of("kserve_other", roles) == "kserve"
    assert owner_of("kserve", roles) == "kserve"


def test_owner_of_no_roles():
    assert owner_of("mlflow", []) is None


# ---------------------------------------------------------------------------- stale_folders
def _rendered(dest, folder, files=(MANIFESTS_FILE,), key=True):
    path = dest / folder
    path.mkdir(parents=True)
    for name in files:
        (path / name).write_text(f"# {name}\n")
    if key:
        (path / KEY_FILE).write_text('{"key": "x", "files": {}}\n')
    return path


def test_stale_folders_missing_dest(tmp_path):
    assert stale_folders(str(tmp_path / "nowhere"), ROLES, set(ROLES), set()) == []


def test_stale_folders_only_folders_with_a_key_file_count(tmp_path):
    _rendered(tmp_path, "mlflow")
    _rendered(tmp_path, "kserve", key=False)  # not ours: no key file
    (tmp_path / "gpu").mkdir()  # an empty folder
    (tmp_path / "argocd").write_text("a file, not a folder\n")
    assert stale_folders(str(tmp_path), ROLES, set(ROLES), set()) == [str(tmp_path / "mlflow")]


def test_stale_folders_never_current_ones(tmp_path):
    _rendered(tmp_path, "mlflow")
    _rendered(tmp_path, "mlflow_db")
    assert stale_folders(str(tmp_path), ROLES, {"mlflow"}, {"mlflow"}) == [str(tmp_path / "mlflow_db")]
    assert stale_folders(str(tmp_path), ROLES, {"mlflow"}, {"mlflow", "mlflow_db"}) == []


def test_stale_folders_keep_roles_not_pruned(tmp_path):
    _rendered(tmp_path, "mlflow")
    _rendered(tmp_path, "kserve")
    assert stale_folders(str(tmp_path), ROLES, {"kserve"}, set()) == [str(tmp_path / "kserve")]
    assert stale_folders(str(tmp_path), ROLES, set(), set()) == []


def test_stale_folders_keep_folders_without_an_owner(tmp_path):
    _rendered(tmp_path, "somebody_else")
    assert stale_folders(str(tmp_path), ROLES, set(ROLES), set()) == []


def test_stale_folders_sorted_full_paths(tmp_path):
    for folder in ("mlflow", "argocd", "kserve_crds", "gpu_quota", "argo_workflows"):
        _rendered(tmp_path, folder)
    result = stale_folders(str(tmp_path), ROLES, set(ROLES), set())
    expected = [str(tmp_path / f) for f in ("argo_workflows", "argocd", "gpu_quota", "kserve_crds", "mlflow")]
    assert result == expected
    assert result == sorted(result)


def test_stale_folders_uses_the_longest_owner(tmp_path):
    # argo_workflows_x belongs to argo_workflows, not to a hypothetical "argo" role.
    _rendered(tmp_path, "argo_workflows_x")
    roles = ["argo", "argo_workflows"]
    assert stale_folders(str(tmp_path), roles, {"argo"}, set()) == []
    assert stale_folders(str(tmp_path), roles, {"argo_workflows"}, set()) == [str(tmp_path / "argo_workflows_x")]


# ---------------------------------------------------------------------------- remove_folders
def test_remove_folders_removes_managed_files_and_the_empty_folder(tmp_path):
    first = _rendered(tmp_path, "mlflow", files=MANAGED_FILES)
    second = _rendered(tmp_path, "kserve", files=(MANIFESTS_FILE,))
    keep = _rendered(tmp_path, "argocd", files=MANAGED_FILES)
    remove_folders([str(first), str(second)], check_mode=False)
    assert not first.exists()
    assert not second.exists()
    assert sorted(p.name for p in keep.iterdir()) == sorted([*MANAGED_FILES, KEY_FILE])


def test_remove_folders_keeps_a_foreign_file_and_its_folder(tmp_path):
    path = _rendered(tmp_path, "mlflow", files=(CHART_FILE, VALUES_FILE, MANIFESTS_FILE))
    (path / "NOTES.md").write_text("mine\n")
    remove_folders([str(path)], check_mode=False)
    assert path.is_dir()
    assert sorted(p.name for p in path.iterdir()) == ["NOTES.md"]
    assert (path / "NOTES.md").read_text() == "mine\n"


def test_remove_folders_keeps_a_foreign_subfolder(tmp_path):
    path = _rendered(tmp_path, "mlflow")
    (path / "extra").mkdir()
    remove_folders([str(path)], check_mode=False)
    assert sorted(p.name for p in path.iterdir()) == ["extra"]


def test_remove_folders_check_mode_removes_nothing(tmp_path):
    path = _rendered(tmp_path, "mlflow", files=MANAGED_FILES)
    remove_folders([str(path)], check_mode=True)
    assert sorted(p.name for p in path.iterdir()) == sorted([*MANAGED_FILES, KEY_FILE])


def test_remove_folders_nothing_to_do():
    remove_folders([], check_mode=False)


def test_stale_then_remove(tmp_path):
    _rendered(tmp_path, "mlflow", files=MANAGED_FILES)
    _rendered(tmp_path, "kserve", files=MANAGED_FILES)
    remove_folders(stale_folders(str(tmp_path), ROLES, {"kserve"}, set()), check_mode=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow"]


# ---------------------------------------------------------------------------- incomplete_problems
RELEASES = [
    {"component": "mlflow"},
    {"component": "argocd", "requires_all_releases": True},
    {"component": "kserve", "requires_all_releases": False},
]


@pytest.mark.parametrize("left_out", [[], None])
def test_incomplete_nothing_left_out(left_out):
    assert incomplete_problems(RELEASES, left_out) == []


def test_incomplete_release_that_needs_all():
    problems = incomplete_problems(RELEASES, ["kserve", "mlflow"])
    assert len(problems) == 1
    message = problems[0]
    assert message.startswith("argocd: ")
    assert "argocd" in message
    assert "kserve, mlflow" in message
    assert "--tags argocd,kserve,mlflow" in message
    assert message.endswith("--tags argocd,kserve,mlflow")


def test_incomplete_without_the_flag():
    releases = [r for r in RELEASES if not r.get("requires_all_releases")]
    assert incomplete_problems(releases, ["kserve", "mlflow"]) == []
    assert incomplete_problems([], ["kserve"]) == []
