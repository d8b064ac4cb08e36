from __future__ import annotations

import json
import os

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.reuse import (
    STAMP_FILE,
    input_key,
    is_current,
    output_digest,
    write_stamp,
)


def _write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def tree(tmp_path):
    """A small render input tree: variables, code, an archive, an -e file; returns (paths, inputs)."""
    variables = tmp_path / "inventory"
    _write(variables / "group_vars/all/main.yml", "platform_cloud: aws\n")
    _write(variables / "hosts.yml", "all:\n  hosts:\n    dev: {}\n")
    code = tmp_path / "collection"
    _write(code / "roles/mlflow/tasks/main.yml", "- name: Render\n  debug: msg=hi\n")
    _write(code / "plugins/module_utils/x.py", "VALUE = 1\n")
    archives = tmp_path / "mirror"
    _write(archives / "chart-1.0.0.tgz", "binary-ish")
    extra_file = tmp_path / "extra.yml"
    _write(extra_file, "argocd_enabled: true\n")
    inputs = {
        "variables": [str(variables)],
        "code": [str(code)],
        "archives": [str(archives)],
        "extra_vars": ["platform_mode=render", f"@{extra_file}"],
        "facts": {"host": "dev", "tags": ["all"], "check_mode": False},
    }
    paths = {"variables": variables, "code": code, "archives": archives, "extra_file": extra_file}
    return paths, inputs


def _key(inputs: dict) -> str:
    return input_key(inputs)[0]


# ---------------------------------------------------------------------------- input_key
def test_same_inputs_same_key(tree):
    _paths, inputs = tree
    key, reasons = input_key(inputs)
    assert len(key) == 64
    assert reasons == []
    assert _key(inputs) == key


def test_key_changes_when_a_variables_file_changes(tree):
    paths, inputs = tree
    before = _key(inputs)
    target = paths["variables"] / "group_vars/all/main.yml"
    original = target.read_text()
    target.write_text("platform_cloud: azure\n")
    assert _key(inputs) != before
    target.write_text(original)
    assert _key(inputs) == before


def test_key_changes_when_a_file_is_added(tree):
    paths, inputs = tree
    before = _key(inputs)
    added = paths["variables"] / "group_vars/all/more.yml"
    _write(added, "x: 1\n")
    assert _key(inputs) != before
    added.unlink()
    assert _key(inputs) == before


def test_key_changes_when_an_empty_file_is_added(tree):
    # The file's name is part of the digest, not only its content.
    paths, inputs = tree
    before = _key(inputs)
    _write(paths["variables"] / "empty.yml", "")
    assert _key(inputs) != before


def test_key_changes_when_a_file_is_renamed(tree):
    paths, inputs = tree
    before = _key(inputs)
    os.rename(paths["variables"] / "hosts.yml", paths["variables"] / "hosts2.yml")
    assert _key(inputs) != before


def test_key_changes_when_a_code_file_changes(tree):
    paths, inputs = tree
    before = _key(inputs)
    (paths["code"] / "plugins/module_utils/x.py").write_text("VALUE = 2\n")
    assert _key(inputs) != before


def test_key_changes_when_an_archive_mtime_changes(tree):
    paths, inputs = tree
    archive = paths["archives"] / "chart-1.0.0.tgz"
    stat = archive.stat()
    before = _key(inputs)
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _key(inputs) != before
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _key(inputs) == before


def test_key_changes_when_an_archive_size_changes(tree):
    paths, inputs = tree
    archive = paths["archives"] / "chart-1.0.0.tgz"
    stat = archive.stat()
    before = _key(inputs)
    archive.write_text("binary-ish, but longer")
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: only the size differs
    assert _key(inputs) != before


def test_archive_content_is_not_read(tree):
    # Archives are compared by name, size and time only: same size and mtime -> same key.
    paths, inputs = tree
    archive = paths["archives"] / "chart-1.0.0.tgz"
    stat = archive.stat()
    before = _key(inputs)
    archive.write_text("BINARY-ISH")
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _key(inputs) == before


def test_key_changes_when_an_extra_var_changes(tree):
    _paths, inputs = tree
    before = _key(inputs)
    changed = {**inputs, "extra_vars": ["platform_mode=apply", inputs["extra_vars"][1]]}
    assert _key(changed) != before


def test_key_changes_when_extra_vars_are_reordered(tree):
    _paths, inputs = tree
    before = _key(inputs)
    assert _key({**inputs, "extra_vars": list(reversed(inputs["extra_vars"]))}) != before


def test_key_changes_when_an_at_file_extra_var_changes(tree):
    paths, inputs = tree
    before = _key(inputs)
    paths["extra_file"].write_text("argocd_enabled: false\n")
    assert _key(inputs) != before


def test_key_changes_when_a_fact_changes(tree):
    _paths, inputs = tree
    before = _key(inputs)
    assert _key({**inputs, "facts": {**inputs["facts"], "tags": ["mlflow"]}}) != before
    assert _key({**inputs, "facts": {**inputs["facts"], "check_mode": True}}) != before
    assert _key({**inputs, "facts": {**inputs["facts"], "host": "prod"}}) != before


def test_fact_order_does_not_matter(tree):
    _paths, inputs = tree
    reordered = dict(reversed(list(inputs["facts"].items())))
    assert list(reordered) != list(inputs["facts"])
    assert _key({**inputs, "facts": reordered}) == _key(inputs)


def test_creation_order_of_files_does_not_matter(tmp_path):
    # The same root rebuilt with the same files created in another order gives the same key.
    root = tmp_path / "vars"
    names = ["b.yml", "a.yml", "sub/c.yml", "sub/a.yml"]
    inputs = {"variables": [str(root)]}

    for name in names:
        _write(root / name, f"{name}: 1\n")
    first = _key(inputs)

    for name in names:
        (root / name).unlink()
    for name in reversed(names):
        _write(root / name, f"{name}: 1\n")
    assert _key(inputs) == first


def test_variables_root_path_is_part_of_the_key(tmp_path):
    for name in ("one", "two"):
        _write(tmp_path / name / "a.yml", "x: 1\n")
    assert _key({"variables": [str(tmp_path / "one")]}) != _key({"variables": [str(tmp_path / "two")]})


def test_a_single_file_as_a_root(tmp_path):
    path = tmp_path / "site.yml"
    _write(path, "- hosts: all\n")
    inputs = {"variables": [str(path)]}
    before = _key(inputs)
    path.write_text("- hosts: dev\n")
    assert _key(inputs) != before


def test_empty_inputs():
    key, reasons = input_key({})
    assert len(key) == 64
    assert reasons == []
    assert _key({}) == key


# ---------------------------------------------------------------------------- caches skipped
@pytest.mark.parametrize(
    "relative",
    [
        "roles/x/__pycache__/mod.cpython-311.pyc",
        "roles/x/__pycache__/notes.txt",
        ".git/HEAD",
        "sub/.git/objects/ab",
        "plugins/module_utils/x.cpython-311.pyc",
        "plugins/module_utils/loose.pyc",
        "site.retry",
        ".pytest_cache/v/cache",
        ".ruff_cache/x",
        "build/out.txt",
        ".venv/lib/x.py",
    ],
)
@pytest.mark.parametrize("kind", ["variables", "code"])
def test_caches_do_not_change_the_key(tree, relative, kind):
    paths, inputs = tree
    before = _key(inputs)
    _write(paths[kind] / relative, "lookup('env', 'HOME')\n")
    key, reasons = input_key(inputs)
    assert key == before
    assert reasons == []


def test_a_non_cache_file_next_to_the_caches_does_change_the_key(tree):
    # Control for the test above: the same kind of write outside a skipped folder is seen.
    paths, inputs = tree
    before = _key(inputs)
    _write(paths["code"] / "roles/x/notes.txt", "x\n")
    assert _key(inputs) != before


# ---------------------------------------------------------------------------- missing paths
@pytest.mark.parametrize("kind", ["variables", "code", "archives"])
def test_missing_path_counts_as_absent_and_creating_it_changes_the_key(tmp_path, kind):
    missing = tmp_path / "later"
    inputs = {kind: [str(missing)]}
    key, reasons = input_key(inputs)
    assert reasons == []
    assert _key(inputs) == key
    assert key != _key({})  # the absent path is part of the digest
    missing.mkdir()
    _write(missing / "a.yml", "x: 1\n")
    assert _key(inputs) != key


def test_missing_at_file_extra_var_then_created(tmp_path):
    path = tmp_path / "extra.yml"
    inputs = {"extra_vars": [f"@{path}"]}
    key, reasons = input_key(inputs)
    assert reasons == []
    _write(path, "x: 1\n")
    assert _key(inputs) != key


def test_an_empty_directory_differs_from_a_missing_one(tmp_path):
    path = tmp_path / "vars"
    inputs = {"variables": [str(path)]}
    missing = _key(inputs)
    path.mkdir()
    assert _key(inputs) != missing


# ---------------------------------------------------------------------------- reasons
@pytest.mark.parametrize(
    "text",
    [
        "home: \"{{ lookup('env', 'HOME') }}\"\n",
        "hosts: \"{{ query('inventory_hostnames', 'all') }}\"\n",
        "hosts: \"{{ q('inventory_hostnames', 'all') }}\"\n",
        'stamp: "{{ now(utc=true) }}"\n',
        'user: "{{ ansible_env.USER }}"\n',
        "out: \"{{ lookup ('pipe', 'date') }}\"\n",
    ],
)
def test_a_variables_file_with_a_runtime_lookup_is_a_reason(tree, text):
    paths, inputs = tree
    target = paths["variables"] / "group_vars/all/lookups.yml"
    _write(target, text)
    _key_value, reasons = input_key(inputs)
    assert len(reasons) == 1
    assert reasons[0].startswith(f"{target} looks something up at run time")


def test_every_file_with_a_lookup_is_named(tree):
    paths, inputs = tree
    first = paths["variables"] / "a.yml"
    second = paths["variables"] / "group_vars/all/b.yml"
    _write(first, "x: \"{{ lookup('env', 'HOME') }}\"\n")
    _write(second, 'y: "{{ now() }}"\n')
    _key_value, reasons = input_key(inputs)
    assert len(reasons) == 2
    assert any(reason.startswith(str(first)) for reason in reasons)
    assert any(reason.startswith(str(second)) for reason in reasons)


def test_an_extra_var_with_a_lookup_is_a_reason(tree):
    _paths, inputs = tree
    arg = "home={{ lookup('env', 'HOME') }}"
    _key_value, reasons = input_key({**inputs, "extra_vars": [arg]})
    assert len(reasons) == 1
    assert reasons[0].startswith("-e ")
    assert reasons[0].startswith(f"-e {arg} looks something up at run time")


def test_an_at_file_extra_var_with_a_lookup_names_the_file(tmp_path):
    path = tmp_path / "extra.yml"
    _write(path, "x: \"{{ lookup('env', 'HOME') }}\"\n")
    _key_value, reasons = input_key({"extra_vars": [f"@{path}"]})
    assert len(reasons) == 1
    assert reasons[0].startswith(f"{path} looks something up")


def test_a_code_file_with_a_lookup_is_not_a_reason(tree):
    paths, inputs = tree
    _write(paths["code"] / "roles/mlflow/defaults/main.yml", "home: \"{{ lookup('env', 'HOME') }}\"\n")
    _key_value, reasons = input_key(inputs)
    assert reasons == []


def test_no_lookups_no_reasons(tree):
    paths, inputs = tree
    _write(paths["variables"] / "plain.yml", "lookup_table: {}\nquery_timeout: 3\nnowhere: true\n")
    _key_value, reasons = input_key(inputs)
    assert reasons == []


# ---------------------------------------------------------------------------- write_stamp / is_current
@pytest.fixture
def dest(tmp_path):
    path = tmp_path / "rendered"
    _write(path / "mlflow/manifests.yaml", "kind: Deployment\n")
    _write(path / "kserve/chart.yaml", "kind: Service\n")
    return path


def test_no_stamp_is_not_current(dest):
    assert is_current(str(dest), "k1") == (False, "no earlier render recorded")


def test_missing_dest_is_not_current(tmp_path):
    assert is_current(str(tmp_path / "nowhere"), "k1") == (False, "no earlier render recorded")


def test_stamp_then_current(dest):
    assert write_stamp(str(dest), "k1") is True
    assert (dest / STAMP_FILE).is_file()
    assert is_current(str(dest), "k1") == (True, "")


def test_another_key_is_not_current(dest):
    write_stamp(str(dest), "k1")
    assert is_current(str(dest), "k2") == (False, "inputs changed since the last render")


CHANGED = (False, "rendered files changed since the last render")


def test_editing_a_rendered_file_is_not_current(dest):
    write_stamp(str(dest), "k1")
    (dest / "mlflow/manifests.yaml").write_text("kind: StatefulSet\n")
    assert is_current(str(dest), "k1") == CHANGED


def test_adding_a_file_is_not_current(dest):
    write_stamp(str(dest), "k1")
    _write(dest / "argocd/manifests.yaml", "kind: Application\n")
    assert is_current(str(dest), "k1") == CHANGED


def test_deleting_a_file_is_not_current(dest):
    write_stamp(str(dest), "k1")
    (dest / "kserve/chart.yaml").unlink()
    assert is_current(str(dest), "k1") == CHANGED


def test_restoring_the_file_is_current_again(dest):
    write_stamp(str(dest), "k1")
    target = dest / "mlflow/manifests.yaml"
    original = target.read_text()
    target.write_text("edited\n")
    assert is_current(str(dest), "k1") == CHANGED
    target.write_text(original)
    assert is_current(str(dest), "k1") == (True, "")


@pytest.mark.parametrize("text", ["not json at all {", "", "[1, 2]", '"just a string"', "null"])
def test_corrupt_stamp_is_not_current(dest, text):
    (dest / STAMP_FILE).write_text(text)
    current, why = is_current(str(dest), "k1")
    assert current is False
    assert why


def test_write_stamp_twice_does_not_rewrite(dest):
    assert write_stamp(str(dest), "k1") is True
    stamp = dest / STAMP_FILE
    past = stamp.stat().st_mtime_ns - 5 * 10**9
    os.utime(stamp, ns=(past, past))
    assert write_stamp(str(dest), "k1") is False
    assert stamp.stat().st_mtime_ns == past
    assert is_current(str(dest), "k1") == (True, "")


def test_write_stamp_rewrites_for_another_key_or_changed_files(dest):
    assert write_stamp(str(dest), "k1") is True
    assert write_stamp(str(dest), "k2") is True
    assert is_current(str(dest), "k2") == (True, "")
    (dest / "mlflow/manifests.yaml").write_text("changed\n")
    assert write_stamp(str(dest), "k2") is True
    assert is_current(str(dest), "k2") == (True, "")


def test_write_stamp_leaves_no_temporary_file(dest):
    write_stamp(str(dest), "k1")
    assert sorted(p.name for p in dest.iterdir()) == sorted([STAMP_FILE, "mlflow", "kserve"])


def test_write_stamp_creates_dest(tmp_path):
    path = tmp_path / "new/dest"
    assert write_stamp(str(path), "k1") is True
    assert is_current(str(path), "k1") == (True, "")


def test_stamp_is_excluded_from_the_output_digest(dest):
    before = output_digest(str(dest))
    write_stamp(str(dest), "k1")
    recorded = json.loads((dest / STAMP_FILE).read_text())
    assert recorded == {"key": "k1", "output": before}
    assert output_digest(str(dest)) == recorded["output"]


def test_output_digest_of_a_missing_dest_is_stable(tmp_path):
    assert output_digest(str(tmp_path / "a")) == output_digest(str(tmp_path / "b"))


@pytest.mark.parametrize("folder", [".git", "__pycache__", "build", ".venv"])
def test_output_under_any_folder_name_counts(tmp_path, folder):
    """The output digest walks every rendered file: cache-like folder names of the input walk included."""
    dest = tmp_path / "dest"
    _write(dest / folder / "x.yaml", "a: 1\n")
    _write(dest / folder / "y.pyc", "b")
    write_stamp(str(dest), "k")
    for name in ("x.yaml", "y.pyc"):
        _write(dest / folder / name, "changed\n")
        assert is_current(str(dest), "k") == (False, "rendered files changed since the last render")
        write_stamp(str(dest), "k")
