"""mlops.platform's ML pipeline: the steps the platform's Argo WorkflowTemplate runs."""

from __future__ import annotations

__version__ = "0.1.0"
