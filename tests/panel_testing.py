"""A small long table of monthly series, shared by the panel tests."""

import numpy as np


def small_panel(seed=0, lengths=(60, 48, 72, 10), shuffle=True):
    """Monthly series `S0..` of different lengths and start dates, rows in
    random order: `series, date, value, promo` (known ahead), `region`
    (static) and `noise` (a past input). Levels differ by series."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    starts = ("2015-01-01", "2016-03-01", "2014-06-01", "2019-01-01")
    rows = []
    for s, n in enumerate(lengths):
        dates = pd.date_range(starts[s % len(starts)], periods=n, freq="MS")
        level = 10.0 * (s + 1)
        promo = rng.integers(0, 2, n)
        season = 0.3 * level * np.sin(2 * np.pi * dates.month / 12)
        y = level + season + 2 * promo + rng.normal(0, 0.3, n)
        for k in range(n):
            rows.append(
                (
                    f"S{s}",
                    dates[k].strftime("%Y-%m-%d"),
                    round(float(y[k]), 4),
                    int(promo[k]),
                    s % 2,
                    round(float(rng.normal()), 4),
                )
            )
    frame = pd.DataFrame(
        rows, columns=["series", "date", "value", "promo", "region", "noise"]
    )
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=seed)
    return frame.reset_index(drop=True)


def roles(**more):
    """The small panel's roles, as `panel_from_frame` keywords."""
    base = dict(
        id_column="series",
        target="value",
        date_column="date",
        past_columns=["noise"],
        future_columns=["promo"],
        static_columns=["region"],
        calendar=["month"],
    )
    base.update(more)
    return base
