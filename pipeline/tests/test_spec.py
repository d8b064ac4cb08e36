"""spec.py, the one description of the DAG, agrees with the code that implements it."""

from __future__ import annotations

import re

from mlops_pipeline import data, spec


def test_datasets_are_the_ones_ingest_knows():
    # Preflight (the collection) reads spec.DATASETS; ingest reads data.SCHEMAS.
    assert set(spec.DATASETS) == set(data.SCHEMAS)


def test_every_reference_names_an_earlier_step_or_a_parameter():
    seen: set = set()
    for step in spec.STEPS:
        words = list(step.args) + list(step.memoize or ()) + [condition[0] for condition in step.when]
        words += [word for artifact in step.inputs + step.outputs for word in artifact.key or ()]
        for word in words:
            if isinstance(word, spec.StepOutput):
                assert word.step in seen, f"{step.name} reads {word} before {word.step} ran"
                assert word.name in spec.step(word.step).parameters
            elif isinstance(word, spec.Param):
                assert word.name in spec.PARAMETERS
            elif isinstance(word, spec.OutputFile):
                assert word.name in step.parameters
        assert set(step.after) <= seen
        seen.add(step.name)


def test_feature_set_id_is_a_legal_key():
    digest = "a" * 64
    filled = "".join(spec.feature_set_id(digest, "20", "42"))
    assert re.fullmatch(r"[-._a-zA-Z0-9]+", filled)
    assert filled == f"{digest}-v{spec.FEATURE_VERSION}-t20-s42"
