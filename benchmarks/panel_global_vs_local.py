"""One global model over every weather city against one model per city.

Both are `keras_seqlab.forecasting.panel.fit_panel` with the same settings
(window, horizon, units, epochs, patience, batch size, seed): the global
model is trained once on the 11 cities' windows, each local model on its
own city's windows only. Both are scored on the same test days (the last
`--test-size` days of every city; the `--val-size` days before them stop
the training early); with `--id-embedding DIM`, a third arm: the global
model with a DIM-wide embedding of the city. Prints test RMSE (deg C) and
MASE per city and pooled (MASE: the mean over cities), and the training
seconds.

    python benchmarks/panel_global_vs_local.py --models linear,gru --epochs 10
"""

import argparse
import json
import time

import numpy as np

from keras_seqlab.data.datasets import weather_cities
from keras_seqlab.data.panel import panel_from_frame
from keras_seqlab.forecasting.panel import fit_panel
from keras_seqlab.forecasting.panel import panel_scores
from keras_seqlab.forecasting.panel import predict_windows


def _fit(name, panel, args, id_embedding=0):
    start = time.perf_counter()
    fit = fit_panel(
        name,
        panel,
        args.window,
        args.horizon,
        val_size=args.val_size,
        test_size=args.test_size,
        units=args.units,
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        seed=args.seed,
        id_embedding=id_embedding,
    )
    scores = panel_scores(fit.test, predict_windows(fit.forecaster, fit.test))
    return scores, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="linear,gru")
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--horizon", type=int, default=1)
    parser.add_argument("--val-size", type=int, default=365)
    parser.add_argument("--test-size", type=int, default=365)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--calendar", default="dayofyear")
    parser.add_argument(
        "--id-embedding",
        type=int,
        default=0,
        help="also a global model with an id embedding this wide",
    )
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    frame = weather_cities()
    panel = panel_from_frame(
        frame, "city", "temp_mean", "DATE", calendar=args.calendar
    )
    table = {}
    for name in args.models.split(","):
        scores, seconds = _fit(name, panel, args)
        local, local_seconds = {}, 0.0
        for city in panel.ids:
            one = frame[frame.city == city]
            single = panel_from_frame(
                one, "city", "temp_mean", "DATE", calendar=args.calendar
            )
            part, spent = _fit(name, single, args)
            local[str(city)] = part["series"][str(city)]
            local_seconds += spent
        mases = [s["mase"] for s in local.values()]
        # The pooled local RMSE: over every test step of every city.
        errors = [(s["rmse"] ** 2, s["windows"]) for s in local.values()]
        pooled_local = {
            "rmse": float(
                np.sqrt(
                    sum(e * n for e, n in errors) / sum(n for _, n in errors)
                )
            ),
            "mase": float(np.mean(mases)),
        }
        entry = {
            "global": scores,
            "local": {"series": local, "pooled": pooled_local},
            "seconds": {"global": seconds, "local": local_seconds},
        }
        arms = [("global", scores), ("local", entry["local"])]
        if args.id_embedding and name != "persistence":
            with_id, spent = _fit(name, panel, args, args.id_embedding)
            entry["global_id"] = with_id
            entry["seconds"]["global_id"] = spent
            arms.append(("global+id", with_id))
        table[name] = entry
        print(f"\n{name}: test RMSE (deg C) / MASE per city")
        print(f"{'city':<11}" + "".join(f"{arm:>15}" for arm, _ in arms))
        for city in [*map(str, panel.ids), "pooled"]:
            cells = [
                part["pooled"] if city == "pooled" else part["series"][city]
                for _, part in arms
            ]
            print(
                f"{city:<11}"
                + "".join(f"{c['rmse']:>8.3f} {c['mase']:>6.3f}" for c in cells)
            )
        print(
            "training seconds: "
            + ", ".join(f"{k} {v:.0f}" for k, v in entry["seconds"].items())
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(table, handle, indent=1)


if __name__ == "__main__":
    main()
