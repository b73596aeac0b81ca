"""Does the neural model pay? Neural models against statsforecast's
classical baselines on the same test days, one series at a time.

Runs `seqlab compare` (the Python API, `keras_seqlab.experiments.compare`)
with every baseline (`baselines="all"`) on the bundled weather data (BASEL
sunshine, hours) and on the Melbourne daily minimum temperatures (°C,
`../shared/data/daily-min-temperatures.csv`), for the next day and the
next 7 days, every window of the data (as `--full`), and prints one
markdown table: test RMSE, MASE (seasonal, m = 7 for daily dates), the
skill against the best baseline in % and the Diebold–Mariano p-value,
per data set, horizon and model (baselines last), and the seconds spent.

    python benchmarks/neural_vs_classical.py --models linear,gru,lstm \\
        --epochs 30 --json neural_vs_classical.json
"""

import argparse
import json
import pathlib
import time

from keras_seqlab.experiments import compare
from keras_seqlab.forecasting.significance import format_p

MELBOURNE = (
    pathlib.Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "daily-min-temperatures.csv"
)
DATASETS = {
    "weather (BASEL sunshine, h)": dict(dataset="weather"),
    "Melbourne min. temperature (°C)": dict(
        csv=str(MELBOURNE), target="Temp", date_column="Date"
    ),
}


def _run(fields, horizon, args):
    head = "many_to_one" if horizon == 1 else "seq_to_vector"
    return compare.run(
        models=args.models,
        horizon=horizon,
        heads=(head,),
        epochs=args.epochs,
        patience=args.patience,
        seed=args.seed,
        baselines="all",
        progress=None,
        plots=False,
        **fields,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="linear,gru,lstm")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", help="write every result here")
    args = parser.parse_args()
    lines = [
        "| data | horizon | model | test RMSE | MASE | skill % | DM p |",
        "|---|---|---|---|---|---|---|",
    ]
    everything = {}
    for name, fields in DATASETS.items():
        for horizon in (1, 7):
            start = time.perf_counter()
            results = _run(fields, horizon, args)
            seconds = time.perf_counter() - start
            everything[f"{name} h={horizon}"] = results
            entry = results["tasks"][0]
            for r in entry["results"]:
                lines.append(
                    f"| {name} | {horizon} | {r['label']} | "
                    f"{r['test_rmse']:.3f} | {r['test_mase']:.3f} | "
                    f"{r['test_skill']:+.1f} | {format_p(r['test_dm_p'])} |"
                )
            for b in entry["baselines"]:
                if "reason" in b:
                    lines.append(
                        f"| {name} | {horizon} | {b['model']} | "
                        f"did not run: {b['reason']} | | | |"
                    )
                    continue
                best = " (best)" if b["model"] == entry["best_baseline"] else ""
                lines.append(
                    f"| {name} | {horizon} | {b['model']}{best} | "
                    f"{b['test_rmse']:.3f} | {b['test_mase']:.3f} | | |"
                )
            print(f"{name}, horizon {horizon}: {seconds:.0f} s", flush=True)
    print("\n".join(lines))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
