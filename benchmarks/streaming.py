"""Time per new point: stepping a causal model vs recomputing its window.

A forecaster in production sees one new observation at a time. Without a
stepper, each new point costs one `model.predict` on the last window (what
the issue names as the baseline, and what a user writes), or, cheaper, one
`predict_on_batch` (the model's compiled predict function without
`predict`'s per-call set-up: the cheapest way Keras offers to recompute).
Both are timed, batch 1. With `keras_seqlab.stream(model)`, it costs one step
as the README writes it, `y_t, state = s.step(x_t, state)` (compiled with
`jax.jit` on JAX, `tf.function` on TensorFlow, `torch.jit.trace` on
PyTorch). Both give the same numbers
(tests/test_streaming.py).

Models (many-to-one heads, F = `--units` channels, one input feature):
- `wavenet`: `build("wavenet")`, dilations 1, 2, …, 512 (k = 2, receptive
  field R = 1024), window 1024;
- `attention`: `build("attention", causal=True)`, one causal block and
  attention pooling, window 512; the stepper's key/value cache holds 512
  steps (`max_length=512`, fixed shape);
- `lstm`: `build("lstm")`, window 512.

The figure is the median of `--repeats` timed calls after `--warmup`
untimed ones; the floors (WaveNet ≥ 20×, attention ≥ 5×, recurrent ≥ 20×)
apply to predict / step, and the table marks the stricter
predict_on_batch / step too. Only ratios
measured in one process mean anything; nothing here asserts a time.

    PYTHONPATH=. python benchmarks/streaming.py            # every backend
    KERAS_BACKEND=jax PYTHONPATH=. python benchmarks/streaming.py --one
    PYTHONPATH=. python benchmarks/streaming.py --models wavenet
    PYTHONPATH=. python benchmarks/streaming.py --quick    # smoke test
"""

import argparse
import json
import os
import subprocess
import sys
import time

FLOORS = {"wavenet": 20.0, "attention": 5.0, "lstm": 20.0}


def _median_ms(call, warmup, repeats):
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return 1000.0 * times[len(times) // 2]


def _models(quick, units):
    import keras_seqlab as ks

    top = 16 if quick else 512  # the largest dilation
    window = 2 * top
    dilations = tuple(2**i for i in range(top.bit_length()))
    attention_window = 16 if quick else 512
    return {
        "wavenet": (
            ks.build(
                "wavenet",
                (window, 1),
                head="many_to_one",
                units=units,
                dilations=dilations,
            ),
            window,
            None,
        ),
        "attention": (
            ks.build(
                "attention",
                (attention_window, 1),
                head="many_to_one",
                units=units,
                causal=True,
            ),
            attention_window,
            attention_window,
        ),
        "lstm": (
            ks.build(
                "lstm", (attention_window, 1), head="many_to_one", units=units
            ),
            attention_window,
            None,
        ),
    }


def run_one(args):
    """Times every model on this process's backend: a JSON list of rows."""
    import keras
    import numpy as np

    import keras_seqlab as ks

    keras.utils.set_random_seed(0)
    rows = []
    models = _models(args.quick, args.units)
    for name, (model, window, max_length) in models.items():
        if args.models and name not in args.models.split(","):
            continue
        rng = np.random.default_rng(0)
        history = rng.standard_normal((1, window, 1)).astype("float32")
        point = rng.standard_normal((1, 1)).astype("float32")
        recompute = _median_ms(
            lambda: model.predict_on_batch(history),  # noqa: B023
            args.warmup,
            args.repeats,
        )
        predict = _median_ms(
            lambda: model.predict(history, verbose=0),  # noqa: B023
            args.warmup,
            args.repeats,
        )
        stepper = ks.stream(model, max_length=max_length)
        state = [stepper.initial_state(1)]

        def one_step():
            state[0] = stepper.step(point, state[0])[1]  # noqa: B023

        step = _median_ms(one_step, args.warmup, args.repeats)
        rows.append(
            {
                "backend": keras.backend.backend(),
                "model": name,
                "window": window,
                "predict_ms": predict,
                "recompute_ms": recompute,
                "step_ms": step,
                "ratio": predict / step,
                "strict_ratio": recompute / step,
                "floor": FLOORS[name],
            }
        )
    return rows


def _table(rows):
    lines = [
        "| backend | model | window | predict (ms) | predict_on_batch (ms) "
        "| step (ms) | vs predict | vs predict_on_batch | floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        mark = "" if r["ratio"] >= r["floor"] else " (below)"
        strict = "" if r["strict_ratio"] >= r["floor"] else " (below)"
        lines.append(
            f"| {r['backend']} | {r['model']} | {r['window']} | "
            f"{r['predict_ms']:.2f} | {r['recompute_ms']:.2f} | "
            f"{r['step_ms']:.3f} | {r['ratio']:.1f}×{mark} | "
            f"{r['strict_ratio']:.1f}×{strict} | {r['floor']:.0f}× |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="tiny models")
    parser.add_argument(
        "--models", help="some of wavenet,attention,lstm (default: all)"
    )
    parser.add_argument(
        "--backends", default="jax,torch,tensorflow", help="comma-separated"
    )
    parser.add_argument(
        "--one", action="store_true", help="only KERAS_BACKEND, JSON out"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.warmup, args.repeats = 2, 3
    if args.one:
        print(json.dumps(run_one(args)))
        return 0
    rows = []
    for backend in args.backends.split(","):
        command = [sys.executable, __file__, "--one"]
        command += ["--units", str(args.units), "--warmup", str(args.warmup)]
        command += ["--repeats", str(args.repeats)]
        command += ["--quick"] if args.quick else []
        command += ["--models", args.models] if args.models else []
        env = {**os.environ, "KERAS_BACKEND": backend}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(f"{backend}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    print(_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
