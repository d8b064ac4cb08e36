#!/usr/bin/python
# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: teardown_cloud
short_description: Empty what terraform destroy cannot delete while it holds data, for the resources a state owns
version_added: 0.2.0
description:
  - Reads the Terraform state of O(project_path) (C(terraform init), then C(terraform show -json); only resource
    names leave the module, never a value).
  - "AWS, with O(inspect_only): finds what would stop C(terraform destroy) half-way and fails before anything
    changes: an RDS instance with deletion protection, an RDS final snapshot identifier that already exists, a
    bucket that holds objects while C(force_destroy) is off and O(purge_object_store) is false."
  - "AWS, without O(inspect_only): with O(purge_object_store), turns off the server access logging of the state's
    buckets that log into a bucket of the state (each request would add a log object there), then deletes every
    object version, delete marker and incomplete multipart upload of each S3 bucket of the state (DeleteObjects,
    1000 keys a request), then checks the bucket is empty; with O(purge_backups), deletes the recovery points
    of each AWS Backup vault of the state."
  - The AWS SDK's own settings apply (credentials, C(AWS_PROFILE), C(AWS_ENDPOINT_URL_S3) ...).
  - "AWS, without O(inspect_only), last: fails when the state's VPCs hold load balancers or security groups that
    the state does not manage (left by the cluster's controllers), which would make the VPC's deletion fail."
  - "Azure: nothing is purged; deleting the storage account deletes its containers, blobs and blob versions. The
    containers are listed in RV(notes)."
  - In check mode nothing is deleted; the counts say what would be.
author:
  - mlops.platform maintainers (@mlops)
options:
  project_path:
    description: The Terraform root whose state is read.
    type: path
    required: true
  binary:
    description: The terraform binary.
    type: str
    default: terraform
  backend_config:
    description: C(terraform init -backend-config) values of the root's partial backend.
    type: dict
    default: {}
  cloud:
    description: The cloud of the root.
    type: str
    choices: [aws, azure]
    required: true
  region:
    description: The AWS region; empty for the region the state's buckets report.
    type: str
    default: ""
  inspect_only:
    description: Only look for blockers (read-only), fail when there is one.
    type: bool
    default: false
  purge_object_store:
    description: Empty the state's buckets (every version and delete marker).
    type: bool
    default: false
  purge_backups:
    description: Delete the recovery points of the state's AWS Backup vaults.
    type: bool
    default: false
notes:
  - Supports C(check_mode).
  - Moto (the emulator of the tests) has no C(ListRecoveryPointsByBackupVault); the backup purge is not tested
    against it.
requirements:
  - terraform
  - boto3 (AWS)
"""

EXAMPLES = r"""
- name: Fail before any change on what would stop terraform destroy
  mlops.platform.teardown_cloud:
    project_path: terraform/environments/aws/dev
    cloud: aws
    region: eu-west-1
    inspect_only: true

- name: Empty the versioned artifact bucket
  mlops.platform.teardown_cloud:
    project_path: terraform/environments/aws/dev
    cloud: aws
    region: eu-west-1
    purge_object_store: true
"""

RETURN = r"""
buckets:
  description: One entry per S3 bucket of the state.
  returned: always
  type: list
  elements: dict
  contains:
    bucket:
      description: The bucket.
      type: str
    versions:
      description: Object versions found (deleted when RV(buckets[].purged)).
      type: int
    delete_markers:
      description: Delete markers found.
      type: int
    objects:
      description: Distinct keys.
      type: int
    uploads:
      description: Incomplete multipart uploads found.
      type: int
    purged:
      description: Whether they were deleted.
      type: bool
    summary:
      description: "One line, for example C(s3://b: deleted 5 object versions and 2 delete markers of 3 keys)."
      type: str
backup_vaults:
  description: One entry per AWS Backup vault of the state, with its recovery points.
  returned: always
  type: list
  elements: dict
notes:
  description: What happens to the databases, containers and vaults, one line each.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError
from ansible_collections.mlops.platform.plugins.module_utils.teardown import (
    database_blockers,
    database_notes,
    parse_show,
    purge_plan,
    purge_summary,
    state_inventory,
    vpc_leftovers,
    vpc_leftovers_message,
)
from ansible_collections.mlops.platform.plugins.module_utils.terraform import backend_config_values

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_BOTO3 = False


def terraform_state(module: AnsibleModule) -> dict:
    params = module.params
    init = [params["binary"], "init", "-input=false", "-no-color"]
    try:
        backend = backend_config_values(params["backend_config"])
    except PlatformError as err:
        module.fail_json(msg=str(err))
    init += [f"-backend-config={key}={value}" for key, value in sorted(backend.items())]
    env = {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    rc, out, err = module.run_command(init, cwd=params["project_path"], environ_update=env)
    if rc != 0:
        module.fail_json(msg=f"terraform init failed in {params['project_path']}: {(err or out).strip()[-1500:]}")
    rc, out, err = module.run_command(
        [params["binary"], "show", "-json", "-no-color"], cwd=params["project_path"], environ_update=env
    )
    if rc != 0:
        module.fail_json(msg=f"terraform show failed in {params['project_path']}: {(err or '').strip()[-1500:]}")
    return parse_show(out)


def list_pages(client, bucket: str) -> list:
    return list(client.get_paginator("list_object_versions").paginate(Bucket=bucket))


def uploads_of(client, bucket: str) -> list:
    pages = client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket)
    return [upload for page in pages for upload in page.get("Uploads") or []]


def purge_bucket(module: AnsibleModule, client, bucket: str, delete: bool, verb: str) -> dict:
    plan = purge_plan(bucket, list_pages(client, bucket))
    uploads = uploads_of(client, bucket)
    entry = {
        "bucket": bucket,
        "versions": plan.versions,
        "delete_markers": plan.delete_markers,
        "objects": plan.objects,
        "uploads": len(uploads),
        "purged": False,
        "summary": purge_summary(plan, verb),
    }
    if not delete:
        return entry
    for upload in uploads:
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for batch in plan.batches:
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            module.fail_json(
                msg=f"s3://{bucket}: {len(errors)} deletes refused, e.g. {first.get('Key')} "
                f"version {first.get('VersionId')}: {first.get('Code')} {first.get('Message')}"
            )
    # Written again in between (a workload still running)? Then the purge did not finish: say so.
    left = purge_plan(bucket, list_pages(client, bucket))
    if left.versions or left.delete_markers:
        module.fail_json(
            msg=f"s3://{bucket} is not empty after the purge ({left.versions} versions, {left.delete_markers} "
            "delete markers): something still writes to it; stop it and rerun."
        )
    entry["purged"] = True
    return entry


def aws(module: AnsibleModule, inventory, result: dict) -> None:
    params = module.params
    region = params["region"] or inventory.region or None
    session = boto3.session.Session(region_name=region)
    s3 = session.client("s3")
    # Blockers first: nothing has changed yet.
    snapshots = set()
    rds = session.client("rds") if inventory.databases else None
    for db in inventory.databases:
        if not db["skip_final_snapshot"] and db["final_snapshot_identifier"]:
            try:
                found = rds.describe_db_snapshots(DBSnapshotIdentifier=db["final_snapshot_identifier"])
                snapshots |= {s["DBSnapshotIdentifier"] for s in found.get("DBSnapshots") or []}
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "DBSnapshotNotFound":
                    raise
    problems = database_blockers(inventory.databases, snapshots)
    result["notes"] += database_notes(inventory.databases)
    delete = params["purge_object_store"] and not params["inspect_only"] and not module.check_mode
    verb = "deleted" if delete else "would delete" if params["purge_object_store"] and module.check_mode else "holds"
    # Server access logging into a bucket of the state: every request to the logged bucket (the purge's own,
    # Terraform's refresh) adds a log object to the target, which then is not empty when Terraform deletes it.
    # Turned off first (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html).
    for bucket in inventory.buckets if params["purge_object_store"] and not params["inspect_only"] else []:
        target = (s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled") or {}).get("TargetBucket")
        if target in inventory.buckets:
            if delete:
                s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
                result["changed"] = True
            result["notes"].append(
                f"server access logging of s3://{bucket} into s3://{target} "
                + ("turned off" if delete else "would be turned off")
                + " before the purge (its log objects would refill the log bucket)"
            )
    for bucket in inventory.buckets:
        entry = purge_bucket(module, s3, bucket, delete, verb)
        result["buckets"].append(entry)
        holds = entry["versions"] + entry["delete_markers"] + entry["uploads"]
        if holds and not params["purge_object_store"] and not inventory.force_destroy.get(bucket):
            problems.append(
                f"s3://{bucket} holds {entry['versions']} object versions and {entry['delete_markers']} delete "
                "markers and force_destroy is off: terraform destroy would fail with BucketNotEmpty. Empty it with "
                "-e teardown_purge_object_store=true, or keep it: terraform state rm its aws_s3_bucket* resources."
            )
        result["changed"] |= entry["purged"] and holds > 0
    backup = session.client("backup") if inventory.backup_vaults else None
    for vault in inventory.backup_vaults:
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName=vault)
        points = [p["RecoveryPointArn"] for page in pages for p in page.get("RecoveryPoints") or []]
        purge = params["purge_backups"] and not params["inspect_only"] and not module.check_mode
        if points and not params["purge_backups"]:
            problems.append(
                f"AWS Backup vault {vault} holds {len(points)} recovery points: terraform destroy cannot delete "
                "it (InvalidRequestException). Set -e teardown_purge_backups=true to delete them."
            )
        for arn in points if purge else []:
            backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn)
        result["backup_vaults"].append({"vault": vault, "recovery_points": len(points), "purged": purge})
        result["changed"] |= purge and bool(points)
    if not inventory.backup_vaults:
        result["notes"].append("no AWS Backup vault in the state")
    if inventory.vpcs and not params["inspect_only"]:
        # After the cluster cleanup: what its controllers left in the VPC stops the VPC's deletion.
        vpcs = [{"Name": "vpc-id", "Values": inventory.vpcs}]
        groups = session.client("ec2").get_paginator("describe_security_groups").paginate(Filters=vpcs)
        balancers = session.client("elbv2").get_paginator("describe_load_balancers").paginate()
        left = vpc_leftovers(
            inventory,
            [lb for page in balancers for lb in page.get("LoadBalancers") or []],
            [sg for page in groups for sg in page.get("SecurityGroups") or []],
        )
        if left and not module.check_mode:
            module.fail_json(msg=vpc_leftovers_message(left), **result)
        if left:  # check mode: the cluster cleanup has not run, its load balancers are still there
            result["notes"].append("in the VPC now (the cluster cleanup would delete its own): " + "; ".join(left))
        else:
            result["notes"].append(
                f"no load balancer or security group outside the state in {', '.join(inventory.vpcs)}"
            )
    if problems and params["inspect_only"]:
        module.fail_json(msg="Refusing to destroy: " + " | ".join(problems), **result)


def main():
    module = AnsibleModule(
        argument_spec={
            "project_path": {"type": "path", "required": True},
            "binary": {"type": "str", "default": "terraform"},
            "backend_config": {"type": "dict", "default": {}, "no_log": True},
            "cloud": {"type": "str", "choices": ["aws", "azure"], "required": True},
            "region": {"type": "str", "default": ""},
            "inspect_only": {"type": "bool", "default": False},
            "purge_object_store": {"type": "bool", "default": False},
            "purge_backups": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    if not os.path.isdir(module.params["project_path"]):
        module.fail_json(msg=f"project_path {module.params['project_path']} is not a directory")
    inventory = state_inventory(terraform_state(module))
    result = {"changed": False, "buckets": [], "backup_vaults": [], "notes": []}
    if module.params["cloud"] == "azure":
        result["notes"] += [
            f"storage container {name}: deleted with its storage account (blobs and versions included)"
            for name in inventory.containers
        ]
        module.exit_json(**result)
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"))
    try:
        aws(module, inventory, result)
    except (BotoCoreError, ClientError) as err:
        module.fail_json(msg=f"AWS call failed during the teardown: {err}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
