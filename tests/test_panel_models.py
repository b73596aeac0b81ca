"""Global models over a panel, on every backend: scaling layers, the
forecaster's numbers, saving, scores, forecasts of every series."""

import keras
import numpy as np
import pytest
from panel_testing import roles
from panel_testing import small_panel
from seqlab_testing import to_numpy

import keras_seqlab as ks
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.data.panel_windows import panel_splits
from keras_seqlab.forecasting import forecaster_spec
from keras_seqlab.forecasting import load_forecaster
from keras_seqlab.forecasting import mase
from keras_seqlab.forecasting import rmse
from keras_seqlab.forecasting.panel import build_panel_forecaster
from keras_seqlab.forecasting.panel import fit_panel
from keras_seqlab.forecasting.panel import panel_scores
from keras_seqlab.forecasting.panel import predict_windows
from keras_seqlab.forecasting.panel_forecast import forecast_panel
from keras_seqlab.layers.heads.forecast import Unstandardize
from keras_seqlab.layers.heads.forecast import WindowStandardize
from keras_seqlab.testing import layer_test

pd = pytest.importorskip("pandas")


def _panel(**more):
    return panel_from_frame(small_panel(), **roles(**more))


def _target_only():
    return _panel(
        past_columns=(), future_columns=None, static_columns=None, calendar=None
    )


def test_window_standardize_is_each_windows_own_mean_and_std():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (4, 7, 3)).astype("float32")
    x[2, :, 1] = 5.0  # a flat window: centered, scale 1
    out, center, scale = (to_numpy(v) for v in WindowStandardize(1)(x))
    c = x[:, :, 1].mean(axis=1, keepdims=True)
    s = x[:, :, 1].std(axis=1, keepdims=True)
    s[2] = 1.0
    np.testing.assert_allclose(center, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scale, s, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[:, :, 1], (x[:, :, 1] - c) / s, atol=1e-5)
    np.testing.assert_array_equal(out[:, :, [0, 2]], x[:, :, [0, 2]])
    y = rng.normal(size=(4, 3, 2)).astype("float32")
    # Unstandardize takes three inputs, which the one-input layer harness
    # (test_harness.py) cannot feed: its config is checked here.
    layer_test.check_config(Unstandardize, {})
    back = to_numpy(Unstandardize()([y, center, scale]))
    np.testing.assert_allclose(
        back, y * s[:, :, None] + c[:, :, None], rtol=1e-5
    )


def test_persistence_forecasts_the_last_value_of_every_window():
    train, _, test = panel_splits(_panel(), 12, 3, 6, 6)
    _, model = build_panel_forecaster("persistence", train)
    predictions = predict_windows(model, test)
    inputs, _ = test.batch(np.arange(len(test)))
    last = inputs["past"][:, -1, 0]
    np.testing.assert_allclose(
        predictions, np.repeat(last[:, None], 3, axis=1), rtol=1e-5
    )


def test_the_forecast_moves_with_the_series_scale_and_level():
    # Each window is scaled by its own statistics, so a series multiplied
    # by a and shifted by b gets a * forecast + b: the rule that lets a
    # series the model never saw be forecast in its own units.
    train, _, test = panel_splits(_target_only(), 12, 2, 6, 6)
    keras.utils.set_random_seed(1)
    _, model = build_panel_forecaster("gru", train, units=4)
    x, _ = test.batch(np.arange(len(test)))
    a, b = 37.0, -250.0
    plain = np.asarray(model.predict_on_batch(x))
    moved = np.asarray(model.predict_on_batch(a * x + b))
    np.testing.assert_allclose(moved, a * plain + b, rtol=1e-5, atol=1e-5 * a)


def test_a_saved_panel_forecaster_loads_in_safe_mode_with_its_roles(tmp_path):
    train, _, test = panel_splits(_panel(), 12, 2, 6, 6)
    keras.utils.set_random_seed(2)
    _, model = build_panel_forecaster("lstm", train, units=4)
    path = tmp_path / "panel.keras"
    model.save(path)
    loaded = load_forecaster(path)
    inputs, _ = test.batch(np.arange(len(test)))
    np.testing.assert_allclose(
        loaded.predict_on_batch(inputs),
        model.predict_on_batch(inputs),
        atol=1e-6,
    )
    spec = forecaster_spec(loaded)
    assert spec["panel"] == {
        "id_column": "series",
        "past_columns": ["noise"],
        "future_columns": ["promo"],
        "calendar": ["month"],
        "static_columns": ["region"],
    }
    assert spec["columns"] == [
        "value",
        "noise",
        "promo",
        "month_sin",
        "month_cos",
    ]


def test_fit_panel_scores_are_the_metrics_of_its_forecasts():
    fit = fit_panel(
        "linear", _panel(), 12, 2, val_size=6, test_size=6, epochs=2, seed=0
    )
    assert len(fit.history["loss"]) == 2
    predictions = predict_windows(fit.forecaster, fit.test)
    scored = panel_scores(fit.test, predictions)
    y = fit.test.targets()
    assert scored["pooled"]["rmse"] == pytest.approx(
        rmse(y, predictions), rel=1e-6
    )
    p = fit.panel if hasattr(fit, "panel") else fit.test.panel
    series = fit.test.series_ids()
    for i, sid in enumerate(p.ids[:3]):
        pick = series == sid
        insample = p.values[p.rows(i), 0][: p.lengths[i] - 12]
        expected = mase(y[pick], predictions[pick], insample)
        assert scored["series"][sid]["mase"] == pytest.approx(
            expected, rel=1e-6
        )
    assert "S3" not in scored["series"]  # too short for a test window


def _history_and_future(steps):
    frame = small_panel()
    keep = frame[frame.series.isin(["S0", "S2"])]
    # A series no model saw: S1's values under a new id.
    unseen = frame[frame.series == "S1"].assign(series="NEW")
    data = pd.concat([keep, unseen], ignore_index=True)
    rows = []
    for sid, part in data.groupby("series"):
        last = pd.Timestamp(part.date.max())
        for k in range(1, steps + 1):
            date = last + pd.DateOffset(months=k)
            rows.append((sid, date.strftime("%Y-%m-%d"), k % 2, 0.1 * k))
    future = pd.DataFrame(rows, columns=["series", "date", "promo", "noise"])
    return frame, data, future


def test_forecast_panel_continues_every_series_seen_or_not():
    frame, data, future = _history_and_future(4)
    fit = fit_panel(
        "gru", _panel(), 12, 2, val_size=6, test_size=6, epochs=1, units=4
    )
    out = forecast_panel(fit.forecaster, data, steps=4, future=future)
    assert list(out.columns) == ["series", "date", "value"]
    assert sorted(set(out.series)) == ["NEW", "S0", "S2"]
    new = out[out.series == "NEW"]
    last = pd.Timestamp(frame[frame.series == "S1"].date.max())
    expected = pd.date_range(last, periods=5, freq="MS")[1:]
    np.testing.assert_array_equal(new.date.to_numpy(), expected.to_numpy())
    # The first horizon is the model on each series' last window.
    p = panel_from_frame(data, **roles())
    model = fit.forecaster
    i = p.index_of("NEW")
    end = p.offsets[i + 1]
    past = np.concatenate(
        [p.values[end - 12 : end], p.known[end - 12 : end]], axis=1
    )
    month = pd.DatetimeIndex(expected[:2]).month - 1
    angle = 2 * np.pi * month / 12
    known = np.stack(
        [
            future[future.series == "NEW"].promo.to_numpy()[:2],
            np.sin(angle),
            np.cos(angle),
        ],
        axis=1,
    )
    direct = model.predict_on_batch(
        {
            "past": past[None].astype("float32"),
            "future": known[None].astype("float32"),
            "static": p.static[i : i + 1],
        }
    )
    np.testing.assert_allclose(
        new.value.to_numpy()[:2], np.asarray(direct)[0], rtol=1e-5
    )
    # `keras_seqlab.forecast` takes a panel model too.
    again = ks.forecast(model, data, steps=4, future=future)
    np.testing.assert_array_equal(again.value.to_numpy(), out.value.to_numpy())
    # NEW is S1 renamed: the same forecast.
    same = forecast_panel(
        model,
        frame[frame.series == "S1"],
        steps=4,
        future=future[future.series == "NEW"].assign(series="S1"),
    )
    np.testing.assert_allclose(
        same.value.to_numpy(), new.value.to_numpy(), rtol=1e-6
    )


def test_forecast_panel_names_missing_future_rows_and_unknown_ids():
    _, data, future = _history_and_future(4)
    fit = fit_panel(
        "linear", _panel(), 12, 2, val_size=6, test_size=6, epochs=1
    )
    with pytest.raises(
        ValueError, match=r"lacks 2 \(id, date\) row\(s\).*'NEW', "
    ):
        forecast_panel(fit.forecaster, data, steps=4, future=future.iloc[2:])
    extra = pd.concat([future, future.assign(series="ZZ")])
    with pytest.raises(ValueError, match="1 id\\(s\\) that are not series.*ZZ"):
        forecast_panel(fit.forecaster, data, steps=2, future=extra)
    with pytest.raises(ValueError, match="pass `future`"):
        forecast_panel(fit.forecaster, data, steps=2)


def test_a_quantile_panel_model_orders_its_quantiles_and_scores_the_median():
    quantiles = (0.1, 0.5, 0.9)
    panel = _target_only()
    fit = fit_panel(
        "gru", panel, 12, 2, 6, 6, units=4, epochs=1, quantiles=quantiles
    )
    predictions = predict_windows(fit.forecaster, fit.test)
    assert predictions.shape == (len(fit.test), 2, 3)
    assert (np.diff(predictions, axis=-1) >= 0).all()
    scored = panel_scores(fit.test, predictions, quantiles)
    median = panel_scores(fit.test, predictions[..., 1])
    assert scored["pooled"] == median["pooled"]
    frame = small_panel()[["series", "date", "value"]]
    out = forecast_panel(fit.forecaster, frame, steps=2)
    assert list(out.columns) == [
        "series",
        "date",
        "value",
        "value_q0.1",
        "value_q0.5",
        "value_q0.9",
    ]
    np.testing.assert_array_equal(out["value"], out["value_q0.5"])


def test_beyond_the_horizon_forecasts_are_fed_back_with_the_future_rows():
    _, data, future = _history_and_future(4)
    fit = fit_panel("gru", _panel(), 12, 2, 6, 6, units=4, epochs=1, seed=3)
    model = fit.forecaster
    out = forecast_panel(model, data, steps=4, future=future)
    # By hand for one series: the first two steps from its last window,
    # then that window moved on by the two forecasts, their future rows
    # (promo, noise) and their calendar codes.
    p = panel_from_frame(data, **roles())
    i = p.index_of("S2")
    end = p.offsets[i + 1]
    past = np.concatenate(
        [p.values[end - 12 : end], p.known[end - 12 : end]], 1
    )
    rows = future[future.series == "S2"]
    dates = pd.to_datetime(rows.date)
    angle = 2 * np.pi * (dates.dt.month.to_numpy() - 1) / 12
    known = np.stack([rows.promo, np.sin(angle), np.cos(angle)], 1)
    static = p.static[i : i + 1]

    def step(window, ahead):
        inputs = {
            "past": window[None].astype("float32"),
            "future": ahead[None].astype("float32"),
            "static": static,
        }
        return np.asarray(model.predict_on_batch(inputs))[0]

    first = step(past, known[:2])
    fed = np.concatenate(
        [first[:, None], rows.noise.to_numpy()[:2, None], known[:2]], axis=1
    )
    second = step(np.concatenate([past, fed])[-12:], known[2:4])
    expected = np.concatenate([first, second])
    got = out[out.series == "S2"].value.to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_an_id_embedding_gives_known_series_their_vector_and_new_ones_zero():
    from keras_seqlab.forecasting.panel import ScaledWindows

    fit = fit_panel(
        "linear", _panel(), 12, 2, 6, 6, epochs=1, id_embedding=3, seed=1
    )
    spec = forecaster_spec(fit.forecaster)
    # S3 (10 rows) has no training window: it is not in the vocabulary.
    assert spec["panel"]["ids"] == ["S0", "S1", "S2"]
    assert spec["panel"]["id_embedding"] == 3
    _, data, future = _history_and_future(2)
    out = forecast_panel(fit.forecaster, data, steps=2, future=future)
    # NEW is S1's history under an id the model never saw: code 0.
    p = panel_from_frame(data, **roles())
    i = p.index_of("NEW")
    end = p.offsets[i + 1]
    past = np.concatenate(
        [p.values[end - 12 : end], p.known[end - 12 : end]], 1
    )
    rows = future[future.series == "NEW"]
    angle = 2 * np.pi * (pd.to_datetime(rows.date).dt.month.to_numpy() - 1) / 12
    known = np.stack([rows.promo, np.sin(angle), np.cos(angle)], 1)

    def direct(code):
        inputs = {
            "past": past[None].astype("float32"),
            "future": known[None].astype("float32"),
            "static": p.static[i : i + 1],
            "series": np.array([[code]], dtype="int32"),
        }
        return np.asarray(fit.forecaster.predict_on_batch(inputs))[0]

    got = out[out.series == "NEW"].value.to_numpy()
    np.testing.assert_allclose(got, direct(0), rtol=1e-5)
    # S1's own vector (code 2) gives another forecast of the same window.
    assert not np.allclose(direct(2), got)
    # A tenth of the training windows are shown as of an unknown series.
    shown = ScaledWindows(fit.train, 1000, unknown=0.1, seed=0)[0][0]["series"]
    share = float(np.mean(shown == 0))
    assert 0.03 < share < 0.2
