# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface every cloud profile implements, and the checks all clouds share.

A profile is a stateless object: every method is a pure function of its arguments and returns
plain data (dicts, lists, strings). Cloud files fill in the nouns, patterns and the few
``_``-prefixed hooks; everything else lives here once. Adding a cloud = one new file that
subclasses ``CloudProfile`` and is decorated with ``@register``.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from ansible_collections.mlops.platform.plugins.module_utils.errors import PlatformError

CAPACITY_TYPES = ("on_demand", "spot")
INGRESS_SCHEMES = ("internet-facing", "internal")
BACKEND_PROTOCOLS = ("HTTP", "HTTPS")
# The platform's user roles (platform_user_groups keys; roles/rbac grants each in its namespaces).
USER_ROLES = ("view", "deploy_models", "run_pipelines")
USER_GROUPS_VAR = "platform_user_groups"

# RFC 1123 subdomain (Kubernetes object names, Secret names, hosts); a host may start with "*.".
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# ALB IngressGroup names: lowercase alphanumerics, '-' and '.', at most 63, alphanumeric at both ends.
_GROUP_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")

_PROFILES: dict = {}


def register(cls):
    """Class decorator: make one instance of the profile available to ``get_profile``."""
    _PROFILES[cls.name] = cls()
    return cls


def registered_profiles() -> dict:
    """Name -> profile for every registered cloud (a copy, sorted by name)."""
    return {name: _PROFILES[name] for name in sorted(_PROFILES)}


def show(value) -> str:
    """Render a user value for a message: strings quoted, YAML spelling for bools and null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"
    return text if len(text) <= 120 else text[:117] + "..."


class CloudProfile:
    """Base class of the per-cloud profiles. Subclasses set the class attributes and hooks."""

    name = ""  # the value of platform_cloud
    title = ""  # how people write it: AWS, Azure
    ingress_controller = ""  # key of the controller chart in platform_versions.charts
    ingress_class = ""
    terraform_root = True  # whether terraform/environments/<cloud>/ makes the cluster (False: it exists)

    instance_type_noun = ""  # "an EC2 instance type"
    instance_type_format = ""
    instance_type_example = ""
    gpu_instance_type_example = ""
    gpu_families_text = ""

    region_noun = ""
    region_format = ""
    region_example = ""

    identity_noun = ""
    identity_format = ""
    identity_example = ""

    _instance_type_re = re.compile(r"(?!)")
    _region_re = re.compile(r"(?!)")
    _identity_re = re.compile(r"(?!)")

    # ------------------------------------------------------------------ recognisers
    def is_instance_type(self, value) -> bool:
        """Whether ``value`` is spelled like one of this cloud's instance types / VM sizes."""
        return isinstance(value, str) and bool(self._instance_type_re.match(value))

    def is_gpu_instance_type(self, value) -> bool:
        """Whether ``value`` is one of this cloud's NVIDIA GPU instance types / VM sizes."""
        raise NotImplementedError

    def is_region(self, value) -> bool:
        """Whether ``value`` is spelled like one of this cloud's regions."""
        return isinstance(value, str) and bool(self._region_re.match(value))

    def is_identity(self, value) -> bool:
        """Whether ``value`` is this cloud's workload identity reference."""
        return isinstance(value, str) and bool(self._identity_re.match(value))

    def _other_cloud(self, recogniser: str, value):
        """The first other registered profile whose ``recogniser`` accepts ``value``, else None."""
        for profile in registered_profiles().values():
            if profile.name != self.name and getattr(profile, recogniser)(value):
                return profile
        return None

    # ------------------------------------------------------------------ workload identity
    def identity_problems(self, name: str, value) -> list:
        """Problems with ``platform_infra.identities.<name>`` for this cloud (empty when valid)."""
        return [f"platform_infra.identities.{name}: {reason}" for reason in self._identity_reasons(value)]

    def _identity_reasons(self, value) -> list:
        if self.is_identity(value):
            return []
        wanted = f"on {self.name} use {self.identity_noun} ({self.identity_format}) such as {self.identity_example}"
        other = self._other_cloud("is_identity", value)
        if other is not None:
            return [f"{show(value)} is {other.identity_noun}; {wanted}"]
        return [f"{show(value)} is not {self.identity_noun}; {wanted}"]

    def workload_identity(self, identity: str) -> dict:
        """Service account annotations/labels and pod labels that bind a pod to ``identity``."""
        reasons = self._identity_reasons(identity)
        if reasons:
            raise PlatformError(f"workload identity {reasons[0]}")
        return self._workload_identity(identity)

    def _workload_identity(self, identity: str) -> dict:
        raise NotImplementedError

    # ------------------------------------------------------------------ object storage
    def object_store_problems(
        self, bucket, account=None, bucket_var: str = "bucket", account_var: str = "account"
    ) -> list:
        """Problems with an object store bucket/container and account, each naming its variable."""
        raise NotImplementedError

    def object_store_uri(self, bucket: str, path: str = "", account: str | None = None) -> str:
        """The URI of ``path`` inside the bucket (container) ``bucket``."""
        problems = self.object_store_problems(bucket, account)
        if path is None:
            path = ""
        if not isinstance(path, str):
            problems.append(f"path: must be a string, got {show(path)}")
        if problems:
            raise PlatformError("invalid {} object store location: {}".format(self.title, "; ".join(problems)))
        return self._object_store_uri(bucket, "/".join(part for part in path.split("/") if part), account)

    def _object_store_uri(self, bucket: str, path: str, account) -> str:
        raise NotImplementedError

    # ------------------------------------------------------------------ ingress
    # Where an Ingress's certificate comes from on this cloud: "acm" (the load balancer holds an ACM
    # certificate; no Kubernetes Secret) or "cert-manager" (a Certificate from a ClusterIssuer, in a Secret).
    tls_source = "cert-manager"

    def certificate_arn_problems(self, value) -> list:
        """Problems with ``platform_infra.certificate_arn`` (the load balancers' certificate) on this cloud."""
        if value in (None, ""):
            return []
        return [
            f"platform_infra.certificate_arn: {show(value)} is set, but on {self.name} cert-manager issues the "
            "hosts' certificates (platform_tls); leave it null"
        ]

    def ingress_class_for(self, scheme: str) -> str:
        """The IngressClass that exposes an Ingress with ``scheme`` (internet-facing or internal)."""
        return self.ingress_class

    def ingress(
        self,
        scheme: str = "internet-facing",
        host: str | None = None,
        backend_protocol: str = "HTTP",
        group: str | None = None,
        tls: dict | None = None,
        name: str | None = None,
        health_path: str | None = None,
    ) -> dict:
        """How an Ingress is exposed on this cloud: ``controller`` (chart key), ``class_name``, ``annotations``
        and ``tls`` (the Ingress's ``spec.tls``).

        ``scheme`` internet-facing or internal; ``group`` the load balancer group of the platform (AWS: one ALB
        per group and scheme); ``tls`` the certificate source (``certificate_arn`` on AWS, ``issuer`` where
        cert-manager issues, ``None``: plain HTTP, only for ACME's own HTTP-01 solver); ``name`` names the
        certificate's Secret (``<name>-tls``) where there is one; ``health_path`` the path a load balancer that
        probes the pods itself (the ALB, target-type ip) checks for readiness (default: the load balancer's own).
        """
        problems = _choice_problems("scheme", scheme, INGRESS_SCHEMES)
        if health_path is not None and (not isinstance(health_path, str) or not health_path.startswith("/")):
            problems.append(f"health_path {show(health_path)} is not allowed; use an absolute path such as /healthz")
        problems += _choice_problems("backend_protocol", backend_protocol, BACKEND_PROTOCOLS)
        problems += _name_problems("host", host, _DNS_SUBDOMAIN_RE, 253, "a DNS name such as mlflow.example.com", True)
        problems += _name_problems("group", group, _GROUP_RE, 54, "lowercase letters, digits, '-' and '.', <= 54")
        problems += _name_problems("name", name, _DNS_LABEL_RE, 59, "a name such as mlflow (the Secret <name>-tls)")
        if tls is not None and not isinstance(tls, dict):
            problems.append(f"tls: must be a mapping of the certificate source, got {show(tls)}")
        elif tls is not None:
            problems += self._tls_problems(tls, host, name)
        if problems:
            raise PlatformError("invalid ingress for {}: {}".format(self.name, "; ".join(problems)))
        annotations = self._ingress_annotations(scheme, backend_protocol, group, tls)
        if health_path is not None:
            annotations.update(self._health_annotations(health_path))
        return {
            "controller": self.ingress_controller,
            "tls_source": self.tls_source,
            "class_name": self.ingress_class_for(scheme),
            "annotations": {key: annotations[key] for key in sorted(annotations)},
            "tls": self._ingress_tls(host, tls, name) if tls is not None and host is not None else [],
        }

    def _tls_problems(self, tls: dict, host, name) -> list:
        return []

    def _health_annotations(self, health_path: str) -> dict:
        """Annotations that make the load balancer probe ``health_path`` (none where the controller proxies)."""
        return {}

    def _ingress_annotations(self, scheme, backend_protocol, group, tls) -> dict:
        raise NotImplementedError

    def _ingress_tls(self, host: str, tls: dict, name) -> list:
        raise NotImplementedError

    def ingress_controller_service_annotations(self, scheme: str = "internet-facing") -> dict:
        """Annotations for the ingress controller's own LoadBalancer Service."""
        problems = _choice_problems("scheme", scheme, INGRESS_SCHEMES)
        if problems:
            raise PlatformError("invalid ingress for {}: {}".format(self.name, "; ".join(problems)))
        annotations = self._controller_service_annotations(scheme)
        return {key: annotations[key] for key in sorted(annotations)}

    def _controller_service_annotations(self, scheme: str) -> dict:
        raise NotImplementedError

    def acme_dns01_solver(self, zone_id, identity) -> dict:
        """The cert-manager ACME ``dns01`` solver that answers challenges in the DNS zone ``zone_id`` with the
        cloud identity ``identity`` (cert-manager's own), or PlatformError when the cloud has none."""
        problems = self.dns01_problems(zone_id, identity)
        if problems:
            raise PlatformError("invalid {} ACME DNS-01 solver: {}".format(self.title, "; ".join(problems)))
        return self._acme_dns01_solver(zone_id, identity)

    def dns01_problems(self, zone_id, identity) -> list:
        """Problems with the DNS zone and cert-manager's identity for ACME DNS-01, each naming its variable."""
        return [f"{self.title} has no ACME DNS-01 solver here; use platform_tls.challenge: http01"]

    def _acme_dns01_solver(self, zone_id, identity) -> dict:
        raise NotImplementedError

    def ingress_controllers(self, schemes) -> list:
        """The ingress controller releases the platform needs for the ``schemes`` its Ingresses use.

        Each: ``scheme``, ``class_name``, ``controller_value`` (the IngressClass ``spec.controller``),
        ``suffix`` (of the release and component names) and ``service_annotations``. Clouds whose one
        controller serves both schemes (AWS: the scheme is per load balancer) return one entry.
        """
        wanted = [scheme for scheme in INGRESS_SCHEMES if scheme in (schemes or [])] or ["internet-facing"]
        problems = [p for scheme in schemes or [] for p in _choice_problems("scheme", scheme, INGRESS_SCHEMES)]
        if problems:
            raise PlatformError("invalid ingress for {}: {}".format(self.name, "; ".join(problems)))
        return self._ingress_controllers(wanted)

    def _ingress_controllers(self, schemes: list) -> list:
        return [
            {
                "scheme": None,
                "class_name": self.ingress_class,
                "controller_value": None,
                "suffix": "",
                "service_annotations": {},
            }
        ]

    # ------------------------------------------------------------------ node pools
    def node_pool_problems(self, key: str, pool) -> list:
        """Cloud-specific problems of ``platform_node_pools.<key>``; shape errors are preflight's job."""
        if not isinstance(pool, dict):
            return []
        prefix = f"platform_node_pools.{key}"
        problems = []
        instance_types = pool.get("instance_types")
        gpu = pool.get("gpu") is True
        if isinstance(instance_types, list):
            for index, value in enumerate(instance_types):
                if isinstance(value, str):
                    problems += self._instance_type_problems(f"{prefix}.instance_types[{index}]", value, gpu)
        capacity = pool.get("capacity_type")
        if capacity is None:
            problems.append("{}.capacity_type: missing; set one of {}".format(prefix, ", ".join(CAPACITY_TYPES)))
        elif capacity not in CAPACITY_TYPES:
            problems.append(
                "{}.capacity_type: {} is not allowed; allowed: {}".format(
                    prefix, show(capacity), ", ".join(CAPACITY_TYPES)
                )
            )
        return problems + self._pool_problems(key, pool)

    def _pool_problems(self, key: str, pool: dict) -> list:
        return []

    def _instance_type_problems(self, path: str, value: str, gpu: bool) -> list:
        gpu_hint = f" (GPU families: {self.gpu_families_text})" if gpu else ""
        example = self.gpu_instance_type_example if gpu else self.instance_type_example
        if not self.is_instance_type(value):
            other = self._other_cloud("is_instance_type", value)
            if other is not None:
                wanted = f"on {self.name} use {self.instance_type_noun} such as {example}{gpu_hint}"
                return [f"{path}: {show(value)} is {other.instance_type_noun}; {wanted}"]
            wanted = f"use {self.instance_type_format} such as {example}{gpu_hint}"
            return [f"{path}: {show(value)} is not {self.instance_type_noun}; {wanted}"]
        if gpu and not self.is_gpu_instance_type(value):
            wanted = f"use a GPU family ({self.gpu_families_text}) such as {self.gpu_instance_type_example}"
            return [f"{path}: {show(value)} has no NVIDIA GPU but the pool sets gpu: true; {wanted}"]
        return []

    # ------------------------------------------------------------------ what the cloud layer enforces later
    def cloud_layer_problems(self, config: dict) -> list:
        """What Terraform's validations or the cloud's APIs would refuse later in the platform variables
        ``config`` (preflight's), each naming the full key path; empty when nothing would be refused.

        Regions that do not exist, node pools the cloud cannot make (``_node_pool_layer_problems``) and, when the
        collection's Terraform root runs (``infrastructure_terraform``), what its module refuses or derives
        (``_terraform_layer_problems``). Garbage values are other checks' to report: never raises.
        """
        config = mapping(config)
        problems = self.region_existence_problems(config.get("platform_region"))
        problems += self._node_pool_layer_problems(mapping(config.get("platform_node_pools")))
        if terraform_enabled(config):
            problems += self._terraform_layer_problems(config)
        return problems

    def _node_pool_layer_problems(self, pools: dict) -> list:
        return []

    def _terraform_layer_problems(self, config: dict) -> list:
        return []

    # The regions that exist on this cloud (facts.py) and where that list comes from.
    known_regions: frozenset = frozenset()
    known_regions_source = ""

    def region_existence_problems(self, region) -> list:
        """``platform_region`` spelled like a region of this cloud that is not one (a did-you-mean names the
        nearest); a value not even spelled like one is ``region_problems``'."""
        if not self.known_regions or not self.is_region(region) or region in self.known_regions:
            return []
        near = difflib.get_close_matches(region, sorted(self.known_regions), n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        return [
            f"platform_region: {show(region)} is not {self.region_noun} that exists; {hint}"
            f"{self.title} would refuse every resource there (regions: {self.known_regions_source})"
        ]

    # ------------------------------------------------------------------ node pools as the nodes will be
    # The label every node pool of the platform puts on its nodes (Terraform node groups and pools, Karpenter).
    pool_label = "platform.mlops/pool"
    # The key of the pool that runs the platform's own controllers (the AKS system pool, the EKS node group
    # Karpenter runs on): never provisioned by an autoscaler that itself runs on it.
    system_pool = "general"

    def node_pools(self, pools) -> dict:
        """What the nodes of each pool of ``platform_node_pools`` carry on this cloud, and who provisions them.

        Key -> ``labels`` (every label the pool's nodes carry, the cloud's implicit ones included), ``taints``
        (the inventory's plus those the cloud adds by itself, e.g. AKS's spot taint), ``gpu``, ``capacity_type``,
        ``provisioner`` (what creates and removes the pool's nodes: ``node_group``, ``karpenter`` or
        ``cluster_autoscaler``) and ``max_size``. The one source of placement facts: tolerations, node
        selectors, autoscaler objects and the harness all read it.
        """
        if not isinstance(pools, dict):
            raise PlatformError(f"platform_node_pools: must be a mapping of pool role -> settings, got {show(pools)}")
        shapes = {}
        for key in sorted(pools):
            pool = pools[key]
            if not isinstance(pool, dict):
                raise PlatformError(f"platform_node_pools.{key}: must be a mapping of pool settings, got {show(pool)}")
            taints = [_taint(f"platform_node_pools.{key}.taints", taint) for taint in pool.get("taints") or []]
            for taint in self._implicit_taints(key, pool):
                if taint not in taints:
                    taints.append(taint)
            own_labels = pool.get("labels") or {}
            if not isinstance(own_labels, dict):
                raise PlatformError(
                    f"platform_node_pools.{key}.labels: must map label names to values, got {show(own_labels)}"
                )
            labels = {str(k): _label_value(v) for k, v in own_labels.items()}
            labels.update(self._implicit_labels(key, pool))
            # What the kubelet puts on every node (Ref https://kubernetes.io/docs/reference/labels-annotations-taints/).
            labels["kubernetes.io/os"] = "linux"
            arches = {self.instance_arch(value) for value in pool.get("instance_types") or []}
            if len(arches) == 1 and None not in arches:
                labels["kubernetes.io/arch"] = arches.pop()
            labels[self.pool_label] = key
            shapes[key] = {
                "labels": {name: labels[name] for name in sorted(labels)},
                "taints": taints,
                "gpu": pool.get("gpu") is True,
                "capacity_type": pool.get("capacity_type"),
                "provisioner": self.pool_provisioner(key),
                "max_size": pool.get("max_size"),
            }
        return shapes

    def pool_provisioner(self, key: str) -> str:
        """What creates and removes the nodes of pool ``key`` on this cloud."""
        raise NotImplementedError

    def instance_arch(self, instance_type) -> str | None:
        """The CPU architecture (kubernetes.io/arch) of an instance type, or None when unknown."""
        return None

    def _implicit_taints(self, key: str, pool: dict) -> list:
        """Taints the cloud puts on the pool's nodes whatever the configuration says."""
        return []

    def _implicit_labels(self, key: str, pool: dict) -> dict:
        """Labels the cloud (or the provisioner) puts on the pool's nodes."""
        return {}

    # ------------------------------------------------------------------ cluster access
    def kubeconfig_exec(self, cluster_name: str, region: str) -> dict:
        """The kubeconfig ``users[].user.exec`` stanza that gets a token for ``cluster_name`` in ``region``.

        Exec auth: the kubeconfig holds no credential; the cloud CLI mints a short-lived token per call.
        """
        problems = [
            f"{name}: must be a non-empty string, got {show(value)}"
            for name, value in (("cluster_name", cluster_name), ("region", region))
            if not isinstance(value, str) or not value
        ]
        if problems:
            raise PlatformError("kubeconfig exec for {}: {}".format(self.name, "; ".join(problems)))
        command, args = self._kubeconfig_exec_command(cluster_name, region)
        return {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": command,
            "args": args,
            "interactiveMode": "Never",
            "provideClusterInfo": False,
            "installHint": self.kubeconfig_install_hint,
        }

    kubeconfig_install_hint = ""

    def _kubeconfig_exec_command(self, cluster_name: str, region: str) -> tuple:
        raise NotImplementedError

    # ------------------------------------------------------------------ terraform root variables
    # The variable of the Terraform root that takes platform_region, the environment variables that
    # show credentials for the cloud are configured, and which service-account keys the root accepts.
    terraform_region_variable = "region"
    credential_env_vars: tuple = ()
    terraform_service_account_keys: tuple = ()

    def terraform_variables(self, settings: dict) -> dict:
        """The Terraform root's variables for the platform ``settings``.

        ``settings`` holds cluster_name, environment, region, kubernetes_version, network, node_pools and
        service_accounts (the platform_* variables without the prefix). Raises PlatformError naming the
        platform variable when a value cannot be expressed for this cloud's root.
        """
        return {
            "name": self._terraform_name(settings.get("cluster_name"), settings.get("environment")),
            "environment": settings.get("environment"),
            self.terraform_region_variable: settings.get("region"),
            "kubernetes_version": settings.get("kubernetes_version"),
            "network": self._terraform_network(settings.get("network")),
            "node_pools": settings.get("node_pools"),
            "service_accounts": self._terraform_service_accounts(settings.get("service_accounts")),
        }

    def terraform_extra_problems(self, environment, extra) -> list:
        """What ``infrastructure_terraform_vars`` (``extra``) lacks or gets wrong for the root of ``environment``.

        For root variables without a default that no platform_* setting gives (none here).
        """
        return []

    def _terraform_name(self, cluster_name, environment):
        return cluster_name

    def _terraform_network(self, network):
        return network

    def _terraform_service_accounts(self, accounts):
        if not isinstance(accounts, dict):
            raise PlatformError(
                f"platform_service_accounts: must be a mapping of key -> {{namespace, name}}, got {show(accounts)}"
            )
        return {
            key: self._terraform_service_account(key, accounts[key])
            for key in sorted(accounts)
            if key in self.terraform_service_account_keys
        }

    def _terraform_service_account(self, key: str, account) -> dict:
        if not isinstance(account, dict) or not all(isinstance(account.get(f), str) for f in ("namespace", "name")):
            raise PlatformError(f"platform_service_accounts.{key}: must be {{namespace, name}}, got {show(account)}")
        return {"namespace": account["namespace"], "name": account["name"]}

    # ------------------------------------------------------------------ region
    def region_problems(self, region) -> list:
        """Problems with ``platform_region`` for this cloud (empty when valid)."""
        if self.is_region(region):
            return []
        wanted = f"on {self.name} use {self.region_noun} ({self.region_format}) such as {self.region_example}"
        other = self._other_cloud("is_region", region)
        if other is not None:
            return [f"platform_region: {show(region)} is {other.region_noun}; {wanted}"]
        return [f"platform_region: {show(region)} is not {self.region_noun}; {wanted}"]

    # ------------------------------------------------------------------ secret store (External Secrets)
    secret_store_ref_noun = ""  # what platform_infra.secret_store_ref is on this cloud
    secret_store_ref_example = ""

    def secret_store_provider(self, secret_store_ref, service_account, tenant_id=None) -> dict:
        """The ``spec.provider`` of the platform ClusterSecretStore (External Secrets ``external-secrets.io/v1``).

        ``secret_store_ref`` is ``platform_infra.secret_store_ref``; ``service_account`` ({namespace, name}) is
        the service account whose cloud identity the store authenticates with (External Secrets' own);
        ``tenant_id`` is ``platform_infra.tenant_id`` (Entra ID tenant on Azure, null elsewhere).
        """
        problems = _service_account_problems("service_account", service_account)
        problems += self._secret_store_problems(secret_store_ref, tenant_id)
        if problems:
            raise PlatformError("invalid {} secret store: {}".format(self.title, "; ".join(problems)))
        account = {"name": service_account["name"], "namespace": service_account["namespace"]}
        return self._secret_store_provider(secret_store_ref, account, tenant_id or None)

    def _secret_store_problems(self, secret_store_ref, tenant_id) -> list:
        raise NotImplementedError

    def _secret_store_provider(self, secret_store_ref: str, service_account: dict, tenant_id) -> dict:
        raise NotImplementedError

    # ------------------------------------------------------------------ workflow artifacts (Argo Workflows)
    def artifact_repository(self, bucket, account=None, key_prefix="", region=None) -> dict:
        """An Argo Workflows artifact repository in the platform bucket (container), credentials from the pod identity.

        Keys are written under ``key_prefix``/<workflow>/<pod>. ``region`` (``platform_infra.region``) is where
        the bucket lives where the cloud's API needs it (AWS); other clouds ignore it.
        """
        problems = self.object_store_problems(bucket, account)
        if key_prefix is None:
            key_prefix = ""
        if not isinstance(key_prefix, str):
            problems.append(f"key_prefix: must be a string, got {show(key_prefix)}")
        elif "{{" in key_prefix or "}}" in key_prefix:
            problems.append(f"key_prefix: {show(key_prefix)} must be a plain path; the role adds the Argo variables")
        problems += self._artifact_repository_problems(region)
        if problems:
            raise PlatformError("invalid {} artifact repository: {}".format(self.title, "; ".join(problems)))
        prefix = "/".join(part for part in key_prefix.split("/") if part)
        key_format = "/".join(part for part in (prefix, "{{workflow.name}}", "{{pod.name}}") if part)
        return self._artifact_repository(bucket, account, key_format, region)

    def _artifact_repository_problems(self, region) -> list:
        return []

    def _artifact_repository(self, bucket: str, account, key_format: str, region) -> dict:
        raise NotImplementedError

    # ------------------------------------------------------------------ model storage (KServe storage initializer)
    def model_store_annotations(self, region=None) -> dict:
        """Service account annotations that tell KServe's storage initializer how to reach the object store.

        The credentials themselves come from the service account's workload identity; ``region`` is
        ``platform_infra.region``, used where the cloud's API needs it (AWS); other clouds ignore it.
        """
        problems = self._model_store_problems(region)
        if problems:
            raise PlatformError("invalid {} model store: {}".format(self.title, "; ".join(problems)))
        annotations = self._model_store_annotations(region)
        return {key: annotations[key] for key in sorted(annotations)}

    def _model_store_problems(self, region) -> list:
        return []

    def _model_store_annotations(self, region) -> dict:
        raise NotImplementedError

    # ------------------------------------------------------------------ object store keys (clouds without identity)
    def object_store_credentials(self, namespace, secret_store) -> dict:
        """What a workload in ``namespace`` needs besides its workload identity to reach the object store.

        ``secret_name``: the Secret with the S3 keys (None where the workload identity suffices), ``keys``:
        ``access_key`` and ``secret_key`` -> the key in that Secret, ``env``: plain container environment
        (endpoint, region), ``objects``: what to apply in ``namespace`` first (the ExternalSecret that makes
        the Secret from the ClusterSecretStore ``secret_store``). Never a credential itself.
        """
        problems = _name_problems("namespace", namespace, _DNS_LABEL_RE, 63, "a namespace name")
        problems += _name_problems("secret_store", secret_store, _DNS_SUBDOMAIN_RE, 253, "a ClusterSecretStore name")
        problems += [
            f"{name}: missing"
            for name, value in (("namespace", namespace), ("secret_store", secret_store))
            if value is None
        ]
        if problems:
            raise PlatformError("invalid {} object store credentials: {}".format(self.title, "; ".join(problems)))
        return self._object_store_credentials(namespace, secret_store)

    def _object_store_credentials(self, namespace: str, secret_store: str) -> dict:
        return {"secret_name": None, "keys": {}, "env": {}, "objects": []}

    # ------------------------------------------------------------------ autoscaling (Karpenter / KEDA)
    # The design's "GPU Autoscaling": what scales on this cloud, from which charts (keys of
    # platform_versions.charts) and with which cloud identity (key of platform_infra.identities).
    autoscaler_controller = ""  # "karpenter" (provisions nodes) or "keda" (scales workloads)
    autoscaler_chart = ""
    autoscaler_crd_chart = None  # a separate CRD chart released before the controller, or None
    autoscaler_identity = None

    def autoscaler(self) -> dict:
        """The autoscaler of this cloud: ``controller``, ``chart``, ``crd_chart`` and ``identity`` (or None)."""
        return {
            "controller": self.autoscaler_controller,
            "chart": self.autoscaler_chart,
            "crd_chart": self.autoscaler_crd_chart,
            "identity": self.autoscaler_identity,
        }

    def autoscaler_objects(self, settings) -> dict:
        """Our custom resources for the autoscaler, as ``{"node_pools": [...], "scalers": [...]}``.

        ``node_pools`` are applied after the controller chart (Karpenter EC2NodeClasses and NodePools);
        ``scalers`` after the workloads they scale (KEDA ScaledObjects). ``settings`` holds the autoscaling
        role's variables without their ``autoscaling_`` prefix plus ``cluster_name`` and ``node_pools``
        (platform_node_pools); each cloud reads the keys it needs. Raises PlatformError listing every problem.
        """
        if not isinstance(settings, dict):
            raise PlatformError(f"autoscaler settings: must be a mapping, got {show(settings)}")
        return {"node_pools": self._autoscaler_node_pools(settings), "scalers": self._autoscaler_scalers(settings)}

    def _autoscaler_node_pools(self, settings: dict) -> list:
        return []

    def _autoscaler_scalers(self, settings: dict) -> list:
        return []

    @staticmethod
    def _autoscaler_failure(what: str, problems: list):
        """Raise the PlatformError that lists every problem of the autoscaler objects ``what``."""
        raise PlatformError("invalid {}: {}".format(what, "; ".join(problems)))

    @staticmethod
    def _object_name_problems(name: str, value, wanted: str) -> list:
        """Problems with a Kubernetes object name ``value`` (an RFC 1123 label, <= 63), naming ``name``."""
        if value is None:
            return [f"{name}: missing; use {wanted}"]
        return _name_problems(name, value, _DNS_LABEL_RE, 63, wanted)

    # ------------------------------------------------------------------ traffic split (canary)
    def canary_ingresses(
        self,
        name,
        namespace,
        host,
        stable_service,
        canary_service=None,
        port=80,
        weight=0,
        scheme="internet-facing",
        group=None,
        tls=None,
        labels=None,
        health_path=None,
    ) -> list:
        """The Ingress objects (``networking.k8s.io/v1``) that send ``weight`` percent of ``host``'s requests to
        ``canary_service`` and the rest to ``stable_service`` (both on ``port``), exposed as :meth:`ingress` says.

        One public host, two predictors. The split itself is this cloud's hook (AWS: one Ingress whose weighted
        forward action names both Services; ingress-nginx: the stable Ingress and a canary twin). Without
        ``canary_service`` (or at weight 0 where the twin is optional) the stable Service takes every request.
        ``health_path`` is the path load balancers that probe targets themselves (the ALB) check for readiness.
        """
        # <= 49: the ALB's annotation actions.<name>-split must keep its name part within 63 characters (and the
        # ingress-nginx twin <name>-canary its name within 63).
        problems = _name_problems("name", name, _DNS_LABEL_RE, 49, "a DNS label of <= 49 (actions.<name>-split)")
        problems += _name_problems("namespace", namespace, _DNS_LABEL_RE, 63, "a namespace name")
        for field_name, value in (("stable_service", stable_service), ("canary_service", canary_service)):
            problems += _name_problems(field_name, value, _DNS_LABEL_RE, 63, "a Service name (a DNS label)")
        problems += [
            f"{field_name}: missing"
            for field_name, value in (
                ("name", name),
                ("namespace", namespace),
                ("host", host),
                ("stable_service", stable_service),
            )
            if value is None
        ]
        if canary_service is not None and canary_service == stable_service:
            problems.append(f"canary_service {show(canary_service)} is the stable Service; a split needs two")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            problems.append(f"port {show(port)} is not allowed; use a Service port number 1..65535")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 99:
            problems.append(f"weight {show(weight)} is not allowed; use the canary's percent as an integer 0..99")
        elif weight > 0 and canary_service is None:
            problems.append(f"weight {weight}: needs canary_service, the Service that takes those requests")
        if labels is not None and (
            not isinstance(labels, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
        ):
            problems.append(f"labels: must be a mapping of strings, got {show(labels)}")
        if health_path is not None and (not isinstance(health_path, str) or not health_path.startswith("/")):
            problems.append(f"health_path {show(health_path)} is not allowed; use an absolute path such as /healthz")
        if problems:
            raise PlatformError("invalid canary ingress for {}: {}".format(self.name, "; ".join(problems)))
        spec = self.ingress(scheme, host, "HTTP", group, tls, name)
        split = {
            "name": name,
            "namespace": namespace,
            "host": host,
            "stable": stable_service,
            "canary": canary_service,
            "port": port,
            "weight": weight,
            "labels": dict(sorted((labels or {}).items())),
            "health_path": health_path,
        }
        return self._canary_ingresses(spec, split)

    def _canary_ingresses(self, spec: dict, split: dict) -> list:
        raise NotImplementedError

    @staticmethod
    def _ingress_object(name: str, split: dict, class_name: str, annotations: dict, backend: dict, tls: list) -> dict:
        """An Ingress of ``split``'s host whose one rule (``/``, Prefix) goes to the Service ``backend``."""
        metadata = {"name": name, "namespace": split["namespace"]}
        if split["labels"]:
            metadata["labels"] = dict(split["labels"])
        metadata["annotations"] = {key: annotations[key] for key in sorted(annotations)}
        path = {"path": "/", "pathType": "Prefix", "backend": {"service": backend}}
        spec = {"ingressClassName": class_name, "rules": [{"host": split["host"], "http": {"paths": [path]}}]}
        if tls:
            spec["tls"] = tls
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}

    # ------------------------------------------------------------------ storage
    def default_storage_class(self) -> dict | None:
        """The StorageClass (a ``storage.k8s.io/v1`` object) the platform makes the cluster's default.

        None when the cloud's clusters already come with a default class and its CSI driver: then the
        platform adds none, and a PersistentVolumeClaim without ``storageClassName`` gets the cloud's own.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ GPU memory (the LLM fit check)
    def gpu_memory(self, instance_type) -> dict | None:
        """The NVIDIA GPUs of ``instance_type``, or None when this cloud's table does not know it (or it has none).

        ``{"gpus": int, "gpu_model": str, "memory_gib": float (per GPU, as the cloud's documentation states it),
        "compute_capability": float, "family": str, "vcpus": int}``.
        """
        if not isinstance(instance_type, str):
            return None
        gpu = self._gpu_memory(instance_type)
        if gpu is None:
            return None
        gpus, model, memory_gib, capability, family, vcpus = gpu
        return {
            "gpus": gpus,
            "gpu_model": model,
            "memory_gib": float(memory_gib),
            "compute_capability": capability,
            "family": family,
            "vcpus": vcpus,
        }

    def gpu_instance_types(self) -> list:
        """Every instance type ``gpu_memory`` knows, smallest first (total GPU memory, GPUs, vCPUs, name)."""
        known = [(name, self.gpu_memory(name)) for name in self._gpu_instance_types()]
        ordered = sorted(
            (gpu["gpus"] * gpu["memory_gib"], gpu["gpus"], gpu["vcpus"], name) for name, gpu in known if gpu is not None
        )
        return [row[-1] for row in ordered]

    def _gpu_memory(self, instance_type: str) -> tuple | None:
        """(GPUs, GPU model, GiB per GPU, compute capability, family, vCPUs) of a known GPU type, else None."""
        return None

    def _gpu_instance_types(self) -> tuple:
        return ()

    # ------------------------------------------------------------------ platform users (RBAC)
    # How an entry of platform_user_groups is written on this cloud, and how it reaches Kubernetes.
    user_group_noun = ""  # "an IAM role ARN"
    user_group_format = ""
    user_group_example = ""
    _user_group_re = re.compile(r"(?!)")
    _user_group_hint = True  # whether another cloud's messages may say "this is <my noun>" (not for catch-alls)

    def is_user_group(self, value) -> bool:
        """Whether ``value`` is spelled like an entry of ``platform_user_groups`` on this cloud."""
        return isinstance(value, str) and bool(self._user_group_re.match(value))

    def user_group_problems(self, groups, var: str = USER_GROUPS_VAR) -> list:
        """Problems with ``platform_user_groups`` ({view, deploy_models, run_pipelines} -> entries), each naming
        the key path and the form this cloud wants; empty when valid or not set (null)."""
        if groups is None:
            return []
        if not isinstance(groups, dict):
            return [
                f"{var}: must be a mapping of {', '.join(USER_ROLES)} -> list of {self.user_group_noun}s, "
                f"got {show(groups)}"
            ]
        problems = []
        for role in sorted(groups, key=str):
            entries = groups[role]
            if role not in USER_ROLES:
                problems.append(
                    f"{var}: unknown key {show(role)}; the platform's user roles are {', '.join(USER_ROLES)}"
                )
            elif entries is not None and not isinstance(entries, list):
                problems.append(f"{var}.{role}: must be a list of {self.user_group_noun}s, got {show(entries)}")
            else:
                for index, entry in enumerate(entries or []):
                    problems += [f"{var}.{role}[{index}]: {reason}" for reason in self._user_group_reasons(entry)]
        return problems

    def _user_group_reasons(self, value) -> list:
        if self.is_user_group(value):
            return []
        wanted = (
            f"on {self.name} use {self.user_group_noun} ({self.user_group_format}) such as {self.user_group_example}"
        )
        other = self._other_cloud("is_user_group", value)
        if other is not None and other._user_group_hint:
            return [f"{show(value)} is {other.user_group_noun}; {wanted}"]
        return [f"{show(value)} is not {self.user_group_noun}; {wanted}"]

    def rbac_group(self, entry, role: str) -> str:
        """The Kubernetes group name that the API server sees for the members of ``entry`` given ``role``."""
        if role not in USER_ROLES:
            raise PlatformError(f"rbac role {show(role)} is not one of {', '.join(USER_ROLES)}")
        reasons = self._user_group_reasons(entry)
        if reasons:
            raise PlatformError(f"{USER_GROUPS_VAR}.{role}: {reasons[0]}")
        return self._rbac_group(entry, role)

    def _rbac_group(self, entry: str, role: str) -> str:
        raise NotImplementedError

    def rbac_subject(self, entry, role: str) -> dict:
        """The RoleBinding subject that grants ``role`` to the members of ``entry`` (a Group subject)."""
        return {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": self.rbac_group(entry, role)}

    def rbac_subjects(self, entries, role: str) -> list:
        """The subjects of the RoleBinding of ``role``: one per distinct group, sorted by name."""
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise PlatformError(f"{USER_GROUPS_VAR}.{role}: must be a list, got {show(entries)}")
        names = sorted({self.rbac_group(entry, role) for entry in entries})
        return [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name} for name in names]

    def user_access_entries(self, groups) -> dict:
        """Cloud principal -> the Kubernetes groups the cloud layer must map it to (EKS access entries);
        empty where the cloud's identity reaches Kubernetes as the group itself."""
        return {}


def _label_value(value) -> str:
    """A node label or taint value as Kubernetes spells it (an unquoted YAML true is "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _taint(path: str, taint) -> dict:
    """A ``{key, value, effect}`` taint (value "" when unset), or PlatformError naming ``path``."""
    if not isinstance(taint, dict) or not isinstance(taint.get("key"), str) or taint.get("effect") not in TAINT_EFFECTS:
        raise PlatformError(
            "{}: each taint must be {{key, value, effect}} with effect one of {}, got {}".format(
                path, ", ".join(TAINT_EFFECTS), show(taint)
            )
        )
    return {"key": taint["key"], "value": _label_value(taint.get("value")), "effect": taint["effect"]}


def tolerations_for(shapes: dict, keys=None) -> list:
    """Tolerations that let a pod onto every pool of ``shapes`` (``node_pools`` output), or only ``keys``.

    One ``Equal`` toleration per distinct taint, so a pod tolerates exactly what those pools carry.
    """
    tolerations = []
    for key in sorted(shapes):
        if keys is not None and key not in keys:
            continue
        for taint in shapes[key]["taints"]:
            toleration = {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": taint["effect"]}
            if toleration not in tolerations:
                tolerations.append(toleration)
    return tolerations


def _choice_problems(name: str, value, allowed: tuple) -> list:
    if value in allowed and isinstance(value, str):
        return []
    return ["{} {} is not allowed; allowed: {}".format(name, show(value), ", ".join(allowed))]


def _name_problems(name: str, value, pattern, max_len: int, wanted: str, wildcard: bool = False) -> list:
    if value is None:
        return []
    text = value[2:] if wildcard and isinstance(value, str) and value.startswith("*.") else value
    if isinstance(text, str) and len(value) <= max_len and pattern.match(text):
        return []
    return [f"{name} {show(value)} is not allowed; use {wanted}"]


# Kubernetes namespace names are RFC 1123 labels.
_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _service_account_problems(name: str, account) -> list:
    """Problems with a {namespace, name} service account reference, each naming ``name``."""
    if not isinstance(account, dict):
        return [f"{name}: must be {{namespace, name}}, got {show(account)}"]
    problems = _name_problems(f"{name}.namespace", account.get("namespace"), _DNS_LABEL_RE, 63, "a namespace name")
    problems += _name_problems(f"{name}.name", account.get("name"), _DNS_SUBDOMAIN_RE, 253, "a service account name")
    for field in ("namespace", "name"):
        if account.get(field) is None:
            problems.append(f"{name}.{field}: missing")
    return problems


def terraform_enabled(config: dict) -> bool:
    """Whether the infrastructure play runs this cloud's Terraform root (``infrastructure_terraform``)."""
    return config.get("infrastructure_terraform") not in (False, "false")


def derived_name_problems(var: str, derivation: str, derived, pattern, rule: str, service: str, shown=None) -> list:
    """A problem naming ``var`` when the name ``derived`` (``derivation`` says what it is; ``shown`` how to
    write it, default itself) breaks ``service``'s ``rule``."""
    if isinstance(derived, str) and pattern.match(derived):
        return []
    return [
        f"{var}: makes the {derivation} {show(derived if shown is None else shown)}, which {service} refuses ({rule})"
    ]


def mapping(value) -> dict:
    """``value`` when it is a mapping, else an empty one (garbage is another check's to report)."""
    return value if isinstance(value, dict) else {}


def ipv4_network(value):
    """The IPv4 network ``value`` (CIDR notation, host bits allowed), or None when it is not one."""
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    return network if network.version == 4 else None
