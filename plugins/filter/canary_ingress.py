# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: canary_ingress
short_description: The Ingresses that split one public host between a stable and a canary Service
version_added: 0.1.0
description:
  - Returns the list of Ingress objects (C(networking.k8s.io/v1)) that send O(weight) percent of O(host)'s requests
    to O(canary_service) and the rest to O(stable_service), exposed like every other platform Ingress on the cloud
    named by the input (class, scheme, load balancer group and TLS as P(mlops.platform.ingress_spec#filter) says).
  - On V(aws) one Ingress whose only rule points at the action C(<name>-split) (port name C(use-annotation)); the
    annotation C(alb.ingress.kubernetes.io/actions.<name>-split) is a C(forward) action with one weighted target
    group per Service (stable C(100 - weight), canary O(weight)). The ALB itself splits the requests.
  - On V(azure) and V(local) (ingress-nginx) the stable Ingress, and when O(canary_service) is set and O(weight)
    is above 0 a second Ingress C(<name>-canary) of the same class, host and path with the annotations
    C(nginx.ingress.kubernetes.io/canary) V(true) and C(nginx.ingress.kubernetes.io/canary-weight) O(weight).
  - Without O(canary_service) the stable Service takes every request.
extends_documentation_fragment:
  - mlops.platform.cloud
options:
  name:
    description:
      - The Ingress's name, a DNS label of at most 49 characters (the ALB annotation C(actions.<name>-split) keeps
        its name part within 63; the nginx twin is C(<name>-canary)).
    type: str
    required: true
  namespace:
    description: The namespace of the Ingresses and both Services.
    type: str
    required: true
  host:
    description: The public host both predictors answer on.
    type: str
    required: true
  stable_service:
    description: The Service that takes C(100 - weight) percent (KServe's C(<isvc>-predictor)).
    type: str
    required: true
  canary_service:
    description: The Service that takes O(weight) percent, or none while there is no canary.
    type: str
  port:
    description: The port both Services serve on (KServe's predictor Services listen on 80).
    type: int
    default: 80
  weight:
    description: The canary's percent of the host's requests, 0 to 99.
    type: int
    default: 0
  scheme:
    description: Whether the load balancer is reachable from the internet or only from the network.
    type: str
    default: internet-facing
    choices: [internet-facing, internal]
  group:
    description: The platform's load balancer group (AWS ALB IngressGroup prefix; no effect with ingress-nginx).
    type: str
  tls:
    description: The certificate source, C(platform__tls), as for P(mlops.platform.ingress_spec#filter).
    type: dict
  labels:
    description: Labels of the Ingresses.
    type: dict
  health_path:
    description:
      - The path a load balancer that probes the pods itself checks (the ALB's C(healthcheck-path); its default
        C(/) answers 404 on MLServer). No effect with ingress-nginx, which follows the pods' readiness.
    type: str
"""

EXAMPLES = r"""
- name: Expose iris with 10 percent of its requests on the challenger
  kubernetes.core.k8s:
    state: present
    definition: >-
      {{ platform_cloud | mlops.platform.canary_ingress(name='iris', namespace='kserve',
         host='iris.models.example.com', stable_service='iris-predictor',
         canary_service='iris-canary-predictor', weight=10, scheme='internet-facing',
         group=platform_cluster_name, tls=platform__tls, health_path='/v2/health/ready') }}
  # aws: [Ingress iris, annotation alb.ingress.kubernetes.io/actions.iris-split:
  #        {"forwardConfig": {"targetGroups": [{"serviceName": "iris-predictor", "servicePort": 80, "weight": 90},
  #                                            {"serviceName": "iris-canary-predictor", ..., "weight": 10}]}, ...}]
  # azure: [Ingress iris -> iris-predictor, Ingress iris-canary (canary-weight "10") -> iris-canary-predictor]
"""

RETURN = r"""
_value:
  description: The Ingress objects, the stable one first.
  type: list
  elements: dict
"""

from ansible_collections.mlops.platform.plugins.plugin_utils.cloud_filter import ask_profile


def canary_ingress(cloud, name, namespace, host, stable_service, **options):
    """The profile's ``canary_ingresses`` for ``cloud``; ``options`` are its keyword arguments (documented above)."""
    return ask_profile("canary_ingress", cloud, "canary_ingresses", name, namespace, host, stable_service, **options)


class FilterModule:
    def filters(self):
        return {"canary_ingress": canary_ingress}
