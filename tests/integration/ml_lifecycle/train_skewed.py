"""Train a deliberately SKEWED model and register it as a new version of the pipeline's model.

Run by the test with .venv/mlflow-server's Python (3.11, scikit-learn 1.9.x): the versions the
serving runtime (Python 3.10, scikit-learn 1.4.1.post1) cannot be trusted to unpickle. Usage:
``python train_skewed.py FEATURES_DIR MODEL_NAME EXPERIMENT``; MLFLOW_TRACKING_URI from the
environment. Prints one JSON line: version, run id, Python and scikit-learn versions.
"""

from __future__ import annotations

import json
import platform
import sys

import mlflow
import pandas as pd
import sklearn
from mlflow.models import infer_signature
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def main(features_dir: str, model_name: str, experiment: str) -> None:
    train = pd.read_csv(f"{features_dir}/train.csv")
    features = train.drop(columns=["target"]).astype("float64")
    model = Pipeline(
        [("scale", StandardScaler()), ("model", GradientBoostingClassifier(n_estimators=20, random_state=7))]
    )
    model.fit(features, train["target"])
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name="skewed-on-purpose") as run:
        mlflow.set_tag("purpose", "skew test: trained outside the step image")
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(features, model.predict(features)),
            input_example=features.head(3),
            registered_model_name=model_name,
        )
    print(
        json.dumps(
            {
                "version": str(info.registered_model_version),
                "run_id": run.info.run_id,
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
