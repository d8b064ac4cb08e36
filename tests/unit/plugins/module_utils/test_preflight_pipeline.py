"""Preflight rules of the ML pipeline (preflight_pipeline): a failing and a passing case per rule."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.platform.plugins.module_utils.preflight_pipeline import (
    cron_problem,
    millicores,
    pipeline_problems,
)

POOLS = {
    "general": {"instance_types": ["m5.large"], "min_size": 2, "max_size": 2, "desired_size": 2},
    "training": {"instance_types": ["c5.2xlarge"], "min_size": 0, "max_size": 4},
    "gpu": {"instance_types": ["g4dn.xlarge"], "gpu": True, "min_size": 0, "max_size": 2},
}

GOOD = {
    "platform_cloud": "aws",
    "platform_node_pools": POOLS,
    "ml_pipeline_enabled": True,
    "ml_pipeline_name": "ml-pipeline",
    "ml_pipeline_model_name": "breast-cancer-classifier",
    "ml_pipeline_experiment": "breast-cancer-classifier",
    "ml_pipeline_dataset": "breast_cancer",
    "ml_pipeline_test_percent": 20,
    "ml_pipeline_seed": 42,
    "ml_pipeline_threshold": 0.9,
    "ml_pipeline_hyperparameters": {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3},
    "ml_pipeline_schedule": "0 3 * * mon",
    "ml_pipeline_timezone": "Europe/Paris",
    "ml_pipeline_memoize": True,
    "argo_workflows_memoization": True,
    "ml_pipeline_memoize_max_age": "720h",
    "ml_pipeline_retry_backoff": {"duration": "30s", "factor": 2, "max_duration": "10m"},
    "ml_pipeline_resources": {
        "default": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "train": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
        "serving-runtime": {"requests": {"cpu": "250m", "memory": "1Gi"}},
    },
    "ml_pipeline_training_pool": "training",
    "ml_pipeline_gpu_pool": "gpu",
    "ml_pipeline_train_gpu": False,
    "ml_pipeline_train_gpus": 1,
    "ml_pipeline_mlflow_tracking_uri": "http://mlflow.mlflow.svc.cluster.local",
}


def with_(**changes):
    config = copy.deepcopy(GOOD)
    config.update(changes)
    return config


def test_good_config_passes():
    assert pipeline_problems(GOOD) == []


def test_disabled_or_absent_is_not_checked():
    assert pipeline_problems(with_(ml_pipeline_enabled=False, ml_pipeline_schedule="nonsense")) == []
    assert pipeline_problems({"platform_cloud": "aws"}) == []
    assert pipeline_problems(None) == []


@pytest.mark.parametrize(
    "schedule",
    ["0 3 * * 1", "*/15 * * * *", "0 0 1 jan,jul *", "30 2 * * mon-fri", "@daily", "@every 6h", "0 0 ? * sun"],
)
def test_cron_accepts(schedule):
    assert cron_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        ("0 25 * * *", "hour '25'"),
        ("0 3 * *", "4 fields"),
        ("0 3 * * 1 2026", "6 fields"),
        ("60 * * * *", "minute '60'"),
        ("0 0 32 * *", "day of month '32'"),
        ("0 0 * 13 *", "month '13'"),
        ("0 0 * * 7", "day of week '7'"),
        ("0 0 * * funday", "day of week 'funday'"),
        ("*/0 * * * *", "step '0'"),
        ("0 5-2 * * *", "runs backwards"),
        ("@fortnightly", "@yearly"),
        ("@every tuesday", "Go duration"),
    ],
)
def test_cron_refuses(schedule, text):
    assert text in cron_problem(schedule)


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"ml_pipeline_schedule": "0 3 * * 8"}, "ml_pipeline_schedule: '0 3 * * 8' day of week '8'"),
        ({"ml_pipeline_timezone": "Europe/Pari"}, "ml_pipeline_timezone: 'Europe/Pari' is not an IANA"),
        ({"ml_pipeline_timezone": "Paris"}, "did you mean Europe/Paris?"),
        ({"ml_pipeline_name": "ML_Pipeline"}, "ml_pipeline_name: 'ML_Pipeline' must be a lower-case DNS name"),
        ({"ml_pipeline_name": "a" * 53}, "at most 52 characters"),
        ({"ml_pipeline_experiment": "my experiment"}, "ml_pipeline_experiment: 'my experiment'"),
        ({"ml_pipeline_model_name": "-model"}, "ml_pipeline_model_name: '-model'"),
        ({"ml_pipeline_dataset": "iris"}, "ml_pipeline_dataset: 'iris' is not a dataset the ingest step knows"),
        ({"ml_pipeline_test_percent": 95}, "ml_pipeline_test_percent: 95 is outside 5-50"),
        ({"ml_pipeline_threshold": 1.5}, "ml_pipeline_threshold: 1.5 is outside (0, 1]"),
        ({"ml_pipeline_threshold": 0}, "ml_pipeline_threshold: 0 is outside"),
        ({"ml_pipeline_seed": -1}, "ml_pipeline_seed: -1 must be 0 or more"),
        (
            {"ml_pipeline_hyperparameters": {"n_estimators": 0, "learning_rate": 0.1, "max_depth": 3}},
            "ml_pipeline_hyperparameters.n_estimators: 0 must be 1 or more",
        ),
        (
            {"ml_pipeline_hyperparameters": {"n_estimators": 10, "learning_rate": 0, "max_depth": 3}},
            "ml_pipeline_hyperparameters.learning_rate: 0 must be greater than 0",
        ),
        ({"argo_workflows_memoization": False}, "ml_pipeline_memoize: true needs argo_workflows_memoization: true"),
        ({"ml_pipeline_memoize_max_age": "30 days"}, "ml_pipeline_memoize_max_age: '30 days' is not a duration"),
        (
            {"ml_pipeline_retry_backoff": {"duration": "thirty", "factor": 2}},
            "ml_pipeline_retry_backoff.duration: 'thirty'",
        ),
        ({"ml_pipeline_retry_backoff": {"factor": 0}}, "ml_pipeline_retry_backoff.factor: 0 must be 1 or more"),
        (
            {"ml_pipeline_resources": {"training": {}}},
            "ml_pipeline_resources.training: no such step (did you mean train?)",
        ),
        ({"ml_pipeline_resources": {"train": {"request": {}}}}, "ml_pipeline_resources.train.request: unknown"),
        (
            {"ml_pipeline_resources": {"train": {"requests": {"cpu": "two"}}}},
            "ml_pipeline_resources.train.requests.cpu: 'two' is not a CPU quantity",
        ),
        (
            {"ml_pipeline_resources": {"train": {"requests": {"memory": "4GB"}}}},
            "ml_pipeline_resources.train.requests.memory: '4GB' is not a memory quantity",
        ),
        (
            {"ml_pipeline_resources": {"train": {"requests": {"memory": "8Gi"}, "limits": {"memory": "4Gi"}}}},
            "memory request 8Gi exceeds its limit 4Gi",
        ),
        (
            {"ml_pipeline_training_pool": "trainig"},
            "ml_pipeline_training_pool: 'trainig' is not a key of platform_node_pools (did you mean training?)",
        ),
        (
            {"ml_pipeline_train_gpu": True, "ml_pipeline_gpu_pool": "training"},
            "ml_pipeline_gpu_pool: pool 'training' has no GPUs",
        ),
        (
            {"ml_pipeline_train_gpu": True, "ml_pipeline_train_gpus": 2},
            "ml_pipeline_train_gpus: 2 must be between 1 and 1",
        ),
        (
            {"ml_pipeline_resources": {"train": {"requests": {"cpu": "16"}}}},
            "ml_pipeline_resources.train.requests.cpu: 16000m is more than the largest instance type of pool "
            "'training' has (8 vCPUs)",
        ),
        ({"ml_pipeline_mlflow_tracking_uri": "mlflow:5000"}, "ml_pipeline_mlflow_tracking_uri: 'mlflow:5000'"),
    ],
)
def test_each_rule_refuses(changes, text):
    problems = pipeline_problems(with_(**changes))
    assert any(text in problem for problem in problems), problems


def test_gpu_training_on_a_gpu_pool_passes():
    assert pipeline_problems(with_(ml_pipeline_train_gpu=True)) == []


def test_local_cloud_has_no_pools_to_check():
    config = with_(platform_cloud="local", platform_node_pools={}, ml_pipeline_training_pool="anything")
    assert pipeline_problems(config) == []


def test_azure_pool_must_exist_without_a_capacity_table():
    pools = {"general": {"instance_types": ["Standard_D4s_v5"]}, "training": {"instance_types": ["Standard_D8s_v3"]}}
    config = with_(platform_cloud="azure", platform_node_pools=pools)
    assert pipeline_problems(config) == []
    assert pipeline_problems(with_(platform_cloud="azure", platform_node_pools=pools, ml_pipeline_training_pool="x"))


@pytest.mark.parametrize(("value", "expected"), [("250m", 250), ("2", 2000), ("0.5", 500), ("2 cores", None)])
def test_millicores(value, expected):
    assert millicores(value) == expected
