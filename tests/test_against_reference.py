"""Every layer against the pure-Python reference: values and gradients.

`keras_seqlab.check` does the work (it is also what `seqlab check` runs):
random small weights and inputs, float32 Keras vs float64 reference.
"""

import dataclasses

import pytest

from keras_seqlab.testing import reference_check as check

TOL = 1e-5


def _ids(setup):
    fields = dataclasses.asdict(setup)
    default = dataclasses.asdict(check.Setup())
    changed = [f"{k}={v}" for k, v in fields.items() if v != default[k]]
    return ",".join(changed) or "default"


@pytest.mark.parametrize("setup", check.FORWARD_SETUPS, ids=_ids)
@pytest.mark.parametrize("case", check.CASES, ids=lambda c: c.name)
def test_forward_matches_reference(case, setup):
    result = check.compare(case, setup, gradients=False)
    assert result.forward_error < TOL


@pytest.mark.parametrize("setup", check.GRADIENT_SETUPS, ids=_ids)
@pytest.mark.parametrize("case", check.CASES, ids=lambda c: c.name)
def test_gradients_match_reference(case, setup):
    result = check.compare(case, setup)
    assert result.forward_error < TOL
    assert result.gradient_error < TOL


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
