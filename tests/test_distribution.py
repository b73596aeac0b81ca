"""Data-parallel training with `keras.distribution.DataParallel` (JAX).

One subprocess sees two virtual CPU devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=2`, read when JAX
starts, hence the subprocess). In it the same model, with the same initial
weights and data, trains a few SGD steps twice: once with no distribution
(every array on cpu:0) and once under `DataParallel` over cpu:0 and cpu:1.
The final weights must agree to float32 rounding, and the variables and
batches must really have been laid out on both devices.

The model runs every family once: LNSimpleRNN, PeepholeLSTM and GRUVariant
(the SeqlabRNN path), MinGRU's parallel scan, WaveNet, AttentionBlock and
AttentionPooling. The recurrent layers use dropout: inside `jit` a
`jax.random` draw has the same values whatever the sharding of its output,
and the seed states are replicated variables, so both runs draw the same
masks. (AttentionBlock's dropout would work the same way; it is off because
it doubles the compile time of the train step on CPU.)
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from seqlab_testing import BACKEND

SKIP_REASONS = {
    "tensorflow": "keras.distribution is JAX-only in Keras 3: TensorFlow's "
    "backend distribution_lib is a 'DO NOT USE' prototype whose "
    "distribute_value does nothing, so variables and batches are never "
    "sharded (TensorFlow has tf.distribute instead)",
    "torch": "keras.distribution is JAX-only in Keras 3: the torch backend "
    "has no distribution_lib (keras.src.backend.distribution_lib is None)",
}
pytestmark = [
    pytest.mark.skipif(
        BACKEND != "jax",
        reason=SKIP_REASONS.get(BACKEND, "keras.distribution is JAX-only"),
    ),
    # One xdist worker runs them all: the two training runs (the fixture
    # `runs`) happen once.
    pytest.mark.xdist_group("distribution"),
]

DEVICES = 2
BATCH = 8
# Float32 SGD on 1 and 2 devices differs only in the order of the batch
# reductions (each device sums its half, then an all-reduce adds the
# halves): a few ulps per gradient step. Measured over the 8 steps: at
# most 1.8e-7 absolute, 3% of the allowance below, as large as the
# difference between two single-device runs with the rows of each batch
# reversed. Every layer's weights move by more than MIN_CHANGE, so a lost
# or doubled half-batch gradient would not pass.
RTOL = 1e-5
ATOL = 1e-6
MIN_CHANGE = 1e-3

SCRIPT = r"""
import json
import sys

import jax
import keras
import numpy as np

import keras_seqlab

out = sys.argv[1]
BATCH = int(sys.argv[2])
DROPOUT = 0.2
facts = {"devices": keras.distribution.list_devices()}


class ShardingProbe(keras.layers.Layer):
    # Identity that records how XLA lays out its input inside the
    # compiled train step (the callback runs when the step compiles).

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x):
        shape = tuple(x.shape)

        def record(sharding):
            self.seen.append(
                {
                    "devices": len(sharding.device_set),
                    "shard_batch": sharding.shard_shape(shape)[0],
                    "batch": shape[0],
                }
            )

        jax.debug.inspect_array_sharding(x, callback=record)
        return x


def build():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((10, 3))
    x = ShardingProbe(name="probe")(inputs)
    # LNSimpleRNN first, on the raw inputs: deeper in the stack its
    # pre-activations can have a tiny variance across units, where the
    # normalization amplifies float32 rounding about 30-fold (then even
    # a reordered batch on one device moves the weights by ~2e-6).
    x = keras_seqlab.LNSimpleRNN(
        8, recurrent_dropout=DROPOUT, return_sequences=True, seed=3
    )(x)
    x = keras_seqlab.PeepholeLSTM(
        8,
        dropout=DROPOUT,
        recurrent_dropout=DROPOUT,
        return_sequences=True,
        seed=1,
    )(x)
    x = keras_seqlab.GRUVariant(
        8, variant="mgu", dropout=DROPOUT, return_sequences=True, seed=2
    )(x)
    x = keras_seqlab.MinGRU(
        8, mode="parallel", dropout=DROPOUT, return_sequences=True, seed=4
    )(x)
    x = keras_seqlab.WaveNet(8, dilations=(1, 2))(x)
    x = keras_seqlab.AttentionBlock(2, 4, ff_dim=8)(x)
    x = keras_seqlab.AttentionPooling(8)(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def key(i, variable):
    # Seed generator states all have the same path: number the variables.
    return f"{i:02d} {variable.path}"


def state(model):
    return {
        key(i, v): keras.ops.convert_to_numpy(v)
        for i, v in enumerate(model.variables)
    }


def placement(model):
    return {
        key(i, v): {
            "devices": len(v.value.sharding.device_set),
            "replicated": v.value.sharding.is_fully_replicated,
        }
        for i, v in enumerate(model.variables)
    }


rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, (4 * BATCH, 10, 3)).astype("float32")
y = rng.uniform(-1, 1, (4 * BATCH, 1)).astype("float32")
initial = None
for run in ("single", "data_parallel"):
    # Same layer names in both runs (clear_session also unsets any
    # distribution, so it comes first).
    keras.backend.clear_session()
    if run == "data_parallel":
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices)
        )
    model = build()
    if initial is None:
        initial = model.get_weights()
        np.savez(f"{out}/initial.npz", **state(model))
    else:
        model.set_weights(initial)
    model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    np.savez(f"{out}/{run}.npz", **state(model))
    facts[run] = {
        "distribution": type(keras.distribution.distribution()).__name__,
        "batches": model.get_layer("probe").seen,
        "variables": placement(model),
    }
with open(f"{out}/facts.json", "w") as f:
    json.dump(facts, f)
"""


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Weights and layout facts of the single- and two-device runs
    (session-scoped and in one xdist group: they run once)."""
    folder = tmp_path_factory.mktemp("data_parallel")
    script = folder / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env["JAX_PLATFORMS"] = "cpu"
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "")
        + f" --xla_force_host_platform_device_count={DEVICES}"
    ).strip()
    done = subprocess.run(
        [sys.executable, str(script), str(folder), str(BATCH)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    facts = json.loads((folder / "facts.json").read_text())
    weights = {
        name: dict(np.load(folder / f"{name}.npz"))
        for name in ("initial", "single", "data_parallel")
    }
    return facts, weights


def test_two_devices_are_visible(runs):
    facts, _ = runs
    assert facts["devices"] == [f"cpu:{i}" for i in range(DEVICES)]


def test_single_run_is_on_one_device(runs):
    single = runs[0]["single"]
    assert single["distribution"] == "NoneType"
    assert single["batches"], "the probe saw no compiled batch"
    for batch in single["batches"]:
        assert batch == {"devices": 1, "shard_batch": BATCH, "batch": BATCH}
    for path, where in single["variables"].items():
        assert where["devices"] == 1, path


def test_data_parallel_shards_batches_and_replicates_variables(runs):
    parallel = runs[0]["data_parallel"]
    assert parallel["distribution"] == "DataParallel"
    assert parallel["batches"], "the probe saw no compiled batch"
    for batch in parallel["batches"]:
        assert batch == {
            "devices": DEVICES,
            "shard_batch": BATCH // DEVICES,
            "batch": BATCH,
        }
    for path, where in parallel["variables"].items():
        assert where == {"devices": DEVICES, "replicated": True}, path


def test_every_layer_trained(runs):
    """The comparison below means something only if the weights moved."""
    _, weights = runs
    initial, single = weights["initial"], weights["single"]
    change = {}
    for path, value in single.items():
        if "seed_generator" in path:
            continue
        layer = path.split()[1].split("/")[0]
        moved = float(np.max(np.abs(value - initial[path])))
        change[layer] = max(change.get(layer, 0.0), moved)
    assert len(change) == 8, sorted(change)
    assert min(change.values()) > MIN_CHANGE, change


def test_dropout_was_drawn_the_same_way(runs):
    """Seed states advanced (masks were drawn) and match across runs."""
    _, weights = runs
    initial, single = weights["initial"], weights["single"]
    seeds = [path for path in single if "seed_generator" in path]
    # One per recurrent layer: PeepholeLSTM, GRUVariant, LNSimpleRNN, MinGRU.
    assert len(seeds) == 4, seeds
    for path in seeds:
        assert not np.array_equal(single[path], initial[path]), path
        np.testing.assert_array_equal(
            weights["data_parallel"][path], single[path], err_msg=path
        )


def test_two_devices_train_to_the_same_weights(runs):
    _, weights = runs
    single, parallel = weights["single"], weights["data_parallel"]
    assert sorted(parallel) == sorted(single)
    for path, value in single.items():
        np.testing.assert_allclose(
            parallel[path], value, rtol=RTOL, atol=ATOL, err_msg=path
        )
