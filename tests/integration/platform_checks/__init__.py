"""Offline checkers for the rendered platform: YAML loading, schema validation (Kubernetes and CRD),
Helm values keys against the pinned charts' defaults, and cross-object wiring.

Used by the integration tests; proven by ``tests/integration/test_platform_checks.py``.
"""
