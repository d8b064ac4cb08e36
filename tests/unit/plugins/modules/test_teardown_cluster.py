"""The teardown_cluster module's wait: over listings as an API server returns them while objects go away."""

from __future__ import annotations

from ansible_collections.mlops.platform.plugins.module_utils.teardown import select
from ansible_collections.mlops.platform.plugins.modules.teardown_cluster import first_line, wait_gone


class Listings:
    """kubectl get <resource> -A answers, one list per call and resource (the last one repeats)."""

    def __init__(self, answers: dict):
        self.answers = {res: list(lists) for res, lists in answers.items()}

    def items(self, resource: str, namespaced: bool = True) -> list:
        lists = self.answers[resource]
        return lists.pop(0) if len(lists) > 1 else lists[0]


def item(namespace, name, **extra):
    return {"metadata": {"namespace": namespace, "name": name}, **extra}


SERVICE = item("mlflow", "mlflow", spec={"type": "LoadBalancer"})
INGRESS = item("mlflow", "mlflow")


def test_wait_returns_once_every_object_is_gone():
    selected = select("services", [SERVICE]) + select("ingresses.networking.k8s.io", [INGRESS])
    lister = Listings({"services": [[SERVICE], []], "ingresses.networking.k8s.io": [[INGRESS], [INGRESS], []]})
    assert wait_gone(lister, selected, timeout=30, poll=0) == []


def test_an_object_is_matched_in_its_own_resource_only():
    """The Service mlflow/mlflow is gone while the Ingress mlflow/mlflow (same name) stays: only the Ingress is
    left (a wait that matched names across resources would report the Service too)."""
    selected = select("services", [SERVICE]) + select("ingresses.networking.k8s.io", [INGRESS])
    lister = Listings({"services": [[]], "ingresses.networking.k8s.io": [[INGRESS]]})
    left = wait_gone(lister, selected, timeout=0, poll=0)
    assert [ref.label for ref in left] == ["Ingress mlflow/mlflow"]


def test_kubectl_message_not_klog():
    err = (
        'E1204 00:55:03.020613    1857 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API '
        'group list"\nThe connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?'
    )
    assert first_line(err).startswith("The connection to the server 127.0.0.1:1 was refused")
    assert first_line('E1204 00:55:03.020613    1857 memcache.go:265] "x"') == '"x"'
    assert first_line("") == "no output"
