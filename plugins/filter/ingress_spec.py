# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ingress_spec
short_description: Ingress class, controller, annotations and TLS for the platform's cloud
version_added: 0.1.0
description:
  - Returns what an Ingress needs on the cloud named by the input, so component roles never branch on the cloud.
  - On V(aws) the AWS Load Balancer Controller provisions one ALB per O(group) and scheme (C(<group>-internal),
    C(<group>-public)); the scheme is the Ingress's annotation. With O(tls) the ALB listens on HTTPS 443 (HTTP 80
    redirects) with the ACM certificate O(tls.certificate_arn), or the one ACM holds for the TLS host.
  - On V(azure) one ingress-nginx controller per scheme serves the Ingresses of its class (C(nginx) behind a
    public Azure load balancer, C(nginx-internal) behind an internal one). With O(tls) HTTP redirects to HTTPS and
    cert-manager issues the host's certificate into the Secret C(<name>-tls) from the ClusterIssuer O(tls.issuer).
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  scheme:
    description: Whether the load balancer is reachable from the internet or only from the network.
    type: str
    default: internet-facing
    choices: [internet-facing, internal]
  host:
    description: The host name the Ingress serves (a DNS name, optionally starting with C(*.)).
    type: str
  backend_protocol:
    description: The protocol between the load balancer and the service.
    type: str
    default: HTTP
    choices: [HTTP, HTTPS]
  group:
    description: The platform's load balancer group (AWS ALB IngressGroup prefix; no effect on Azure).
    type: str
  tls:
    description:
      - The certificate source, C(platform__tls) - C(certificate_arn) (AWS) or C(issuer) (cert-manager). Omitted,
        the Ingress is plain HTTP (only ACME's own HTTP-01 solver is).
    type: dict
  name:
    description: Names the certificate Secret C(<name>-tls) where cert-manager issues one.
    type: str
  health_path:
    description:
      - The path a load balancer that probes the pods itself checks for readiness (V(aws), the ALB's target groups
        with target type ip; default C(/)). No effect where the ingress controller proxies (V(azure)).
    type: str
"""

EXAMPLES = r"""
- name: Show the Ingress settings for MLflow
  ansible.builtin.debug:
    msg: >-
      {{ platform_cloud | mlops.platform.ingress_spec(scheme='internal', host='mlflow.example.com',
         group=platform_cluster_name, tls=platform__tls, name='mlflow') }}
  # azure: {controller: ingress_nginx, class_name: nginx-internal,
  #         annotations: {cert-manager.io/cluster-issuer: letsencrypt, ...},
  #         tls: [{hosts: [mlflow.example.com], secretName: mlflow-tls}], controller_service_annotations: {...}}
"""

RETURN = r"""
_value:
  description:
    - C(controller), the key of the controller chart in C(platform_versions.charts)
      (C(aws_load_balancer_controller) or C(ingress_nginx)).
    - C(class_name), the IngressClass (C(alb); C(nginx) or C(nginx-internal)).
    - C(annotations) and C(tls) (C(spec.tls)) for the Ingress, C(controller_service_annotations) for the
      controller's Service.
  type: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def ingress_spec(
    cloud,
    scheme="internet-facing",
    host=None,
    backend_protocol="HTTP",
    group=None,
    tls=None,
    name=None,
    health_path=None,
):
    """The profile's ingress dict for ``cloud`` plus ``controller_service_annotations``."""
    spec = ask_profile("ingress_spec", cloud, "ingress", scheme, host, backend_protocol, group, tls, name, health_path)
    spec["controller_service_annotations"] = ask_profile(
        "ingress_spec", cloud, "ingress_controller_service_annotations", scheme
    )
    return spec


class FilterModule:
    def filters(self):
        return {"ingress_spec": ingress_spec}
