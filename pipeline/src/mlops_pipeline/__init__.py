"""mlops.platform's ML pipeline: the steps the platform's Argo WorkflowTemplate runs."""

__version__ = "0.1.0"
