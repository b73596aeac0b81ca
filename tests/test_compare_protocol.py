"""`seqlab compare`'s lesson-protocol options (issue 14): --no-scale,
--no-restore-best, --split rows|windows and widths per model."""

import numpy as np
import pytest

from keras_seqlab import cli
from keras_seqlab import models
from keras_seqlab.cli.options import widths
from keras_seqlab.data import datasets
from keras_seqlab.experiments import compare
from keras_seqlab.experiments.settings import Settings
from keras_seqlab.experiments.tasks import prepare

BASEL = datasets.load_weather("BASEL", target="BASEL_sunshine")


def _first_task(**kwargs):
    plan = prepare(Settings(dataset="weather", **kwargs), "persistence")
    return plan, plan.tasks[0]


@pytest.mark.backend_free
def test_no_scale_trains_on_the_raw_values():
    plan, task = _first_task(scale=False, window=7)
    assert plan.scaler is None and plan.metric == "rmse"
    raw = np.asarray(BASEL.values)
    np.testing.assert_array_equal(task.train[0][0], raw[:7])
    sun = list(BASEL.columns).index("BASEL_sunshine")
    assert task.train[1][0, 0] == raw[7, sun]
    scaled_plan, scaled = _first_task(window=7)
    expected = scaled_plan.scaler.transform(raw[:7])
    np.testing.assert_allclose(scaled.train[0][0], expected, rtol=1e-6)
    assert abs(float(np.mean(scaled.train[0]))) < 0.1  # centred
    assert "unscaled" in plan.description


@pytest.mark.backend_free
def test_split_windows_has_the_lessons_counts():
    # 3654 days, window 10: 3644 windows; train_test_split(0.2) then 0.5
    # gives 2915 / 364 / 365 (in time order here).
    _, task = _first_task(split="windows", window=10)
    sizes = [len(part[0]) for part in (task.train, task.val, task.test)]
    assert sizes == [2915, 364, 365]
    # Window first: the validation windows continue the training ones.
    np.testing.assert_array_equal(task.val[0][0][:-1], task.train[0][-1][1:])
    _, rows = _first_task(window=10)  # rows: each split windowed alone
    sizes = [len(part[0]) for part in (rows.train, rows.val, rows.test)]
    assert sizes == [2924 - 10, 365 - 10, 365 - 10]


@pytest.mark.backend_free
def test_split_windows_fits_the_scaler_on_the_training_windows_rows():
    plan, _ = _first_task(split="windows", window=10)
    raw = np.asarray(BASEL.values, "float64")
    train_rows = raw[: 2915 + 10]
    np.testing.assert_allclose(
        plan.scaler.center, train_rows.mean(axis=0), rtol=1e-5
    )


@pytest.mark.backend_free
def test_widths_per_model_give_the_builders_parameter_counts():
    results = compare.run(
        Settings(
            dataset="weather",
            window=5,
            epochs=1,
            limit=8,
            units=3,
            model_units={"gru": 5, "lstm": 2},
        ),
        "gru,lstm,simple_rnn",
        plots=False,
        progress=None,
    )
    params = {r["model"]: r["params"] for r in results["tasks"][0]["results"]}
    for name, units in (("gru", 5), ("lstm", 2), ("simple_rnn", 3)):
        expected = models.build(name, (5, 9), units=units).count_params()
        assert params[name] == expected, name
    assert results["settings"]["model_units"] == {"gru": 5, "lstm": 2}
    assert "units 3 (gru 5, lstm 2)" in compare.format_leaderboard(results)


@pytest.mark.backend_free
def test_no_restore_best_keeps_the_last_epochs_weights():
    def run(restore):
        # Small batches on 40 windows: on PyTorch and JAX the validation
        # curve goes up and down (on TensorFlow it fell to the last epoch;
        # the test below tells the two apart on every backend).
        results = compare.run(
            Settings(
                dataset="weather",
                window=5,
                epochs=8,
                patience=8,
                limit=40,
                units=16,
                batch_size=4,
                restore_best=restore,
            ),
            "gru",
            plots=False,
            progress=None,
        )
        return results["tasks"][0]["results"][0]

    last, best = run(False), run(True)
    assert last["val_rmse"] == pytest.approx(last["history"]["val_rmse"][-1])
    curve = best["history"]["val_rmse"]
    assert best["val_rmse"] == pytest.approx(min(curve))
    assert last["history"]["val_rmse"] == pytest.approx(curve)


@pytest.mark.parametrize("restore", [True, False])
def test_fit_restores_the_best_epoch_only_when_asked(restore):
    # Validation targets of the opposite sign: every epoch that fits the
    # training data fits validation worse, so the best epoch is the first.
    import keras

    from keras_seqlab.models.training import fit

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    history, _ = fit(
        model,
        (x, y),
        (x, -y),
        5,
        batch_size=8,
        patience=5,
        restore_best=restore,
    )
    losses = history["val_loss"]
    assert int(np.argmin(losses)) == 0 and losses[-1] > losses[0]
    final = float(model.evaluate(x, -y, verbose=0))
    assert final == pytest.approx(losses[0 if restore else -1], rel=1e-4)


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "text, expected",
    [
        (None, (32, None)),
        ("16", (16, None)),
        ("gru=32,lstm=20", (32, {"gru": 32, "lstm": 20})),
        ("8, gru=4", (8, {"gru": 4})),
    ],
)
def test_units_option_syntax(text, expected):
    assert widths(text, 32) == expected


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "args, text",
    [
        (["--units", "gru=x"], "--units expects a width"),
        (["--units", "=3"], "--units expects a width"),
        (["--units", "gru=3,gru=4"], "names 'gru' twice"),
        (["--units", "3,4"], "more than one bare width"),
        (["--units", "gru=0"], "--units must be a positive integer"),
        (["--models", "lstm", "--units", "gru=8"], "'gru' that do not run"),
        (["--split", "windows"], "--split windows and --no-scale apply"),
        (["--no-scale"], "--split windows and --no-scale apply"),
    ],
)
def test_bad_protocol_options_exit_2_with_one_line(
    capsys, tmp_path, args, text
):
    status = cli.main(["compare", *args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2
    assert text in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
