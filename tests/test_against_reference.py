"""Every layer against the pure-Python reference: values and gradients.

`keras_seqlab.testing.reference_check` does the work (it is also what
`seqlab check` runs) for every case the layer modules declare
(`REFERENCE_CASES`): random small weights and inputs, float32 Keras vs
float64 reference.
"""

import pytest

from keras_seqlab.testing import reference_check as check

TOL = 1e-5


CHECKS = [
    (case, setup, gradients)
    for case in check.CASES
    for setup, gradients in check.checks(case)
]


def _id(check_):
    case, setup, _ = check_
    return f"{case.name}-{check.setup_label(setup)}"


@pytest.mark.parametrize("check_", [c for c in CHECKS if not c[2]], ids=_id)
def test_forward_matches_reference(check_):
    case, setup, _ = check_
    result = check.compare(case, setup, gradients=False)
    assert result.forward_error < TOL


@pytest.mark.parametrize("check_", [c for c in CHECKS if c[2]], ids=_id)
def test_gradients_match_reference(check_):
    case, setup, _ = check_
    result = check.compare(case, setup)
    assert result.forward_error < TOL
    assert result.gradient_error < TOL


def test_every_case_runs_forward_and_gradient_setups():
    for case in check.CASES:
        kinds = {gradients for _, gradients in check.checks(case)}
        assert True in kinds or case.kind != "recurrent", case.name
        if case.kind == "recurrent":
            setups = [s for s, _ in check.checks(case)]
            assert setups[: len(check.FORWARD_SETUPS)] == list(
                check.FORWARD_SETUPS
            )
    families = {c.kind for c in check.CASES}
    assert families == {
        "recurrent",
        "wavenet",
        "attention_block",
        "attention_pooling",
        "tcn",
    }


def test_comparison_detects_a_wrong_weight():
    """The harness itself can fail: a perturbed weight is caught."""
    case = check.CASES_BY_NAME["PeepholeLSTM"]
    setup = check.Setup()
    original = check.reference_params

    def perturbed(layer):
        params = original(layer)
        params["output_gate_peephole_weights"][0] += 1e-3
        return params

    check.reference_params = perturbed
    try:
        result = check.compare(case, setup)
    finally:
        check.reference_params = original
    assert result.forward_error > TOL
    assert result.gradient_error > TOL


def test_padding_masks_have_both_padded_and_full_rows():
    left = check.padding_mask(3, 6, "left")
    right = check.padding_mask(3, 6, "right")
    assert left[0].all() and right[0].all()
    assert not left[1, 0] and left[1, -1]
    assert right[1, 0] and not right[1, -1]


# Public classes of keras_seqlab.layers that are not a layer family with a
# reference of its own, and why.
NOT_FAMILIES = {
    "CellRNN": "a base class: every recurrent family's cases run it",
    "SeqlabRNN": "a base class: every recurrent family's cases run it",
    "RecurrentCell": "a base class of the cells",
    "LayerNormSimpleRNNCell": "the Addons name of LNSimpleRNNCell(form="
    "'addons'), whose cases run; tests/test_addons_cells.py checks the name",
    "Persistence": "no weights; tests/test_models.py checks its values",
    "PositionalEncoding": "fixed sinusoids, checked in tests/test_attention.py",
    "ForecastSpec": "metadata, an identity on its input",
    "ConformalInterval": "a forecasting head: tests/test_conformal.py",
    "QuantileHead": "a forecasting head: tests/test_quantiles.py",
    "RepeatQuantiles": "a forecasting head: tests/test_quantiles.py",
    "Rescale": "a forecasting head: tests/test_forecasting.py",
    "WindowStandardize": "a forecasting head: tests/test_panel_models.py",
    "Unstandardize": "a forecasting head: tests/test_panel_models.py",
    "FixedWindow": "an identity that checks the window length: "
    "tests/test_data_inputs.py",
}


def test_every_public_layer_has_reference_cases():
    """A new public layer (or cell) fails here until its module declares
    REFERENCE_CASES (or it is named above, with the reason)."""
    import keras

    from keras_seqlab import layers

    covered = set()
    for case in check.CASES:
        covered.add(case.layer)
        cell = getattr(case.layer, "cell_class", None)
        if cell is not None:
            covered.add(cell)
    public = {
        name: getattr(layers, name)
        for name in layers.__all__
        if isinstance(getattr(layers, name), type)
        and issubclass(getattr(layers, name), keras.layers.Layer)
    }
    missing = [
        name
        for name, cls in public.items()
        if name not in NOT_FAMILIES
        and not any(issubclass(c, cls) or c is cls for c in covered)
    ]
    assert not missing, f"public layers without reference cases: {missing}"
    assert not set(NOT_FAMILIES) - set(public)
