"""JAX's compile settings for many tiny programs: XLA flags that compile
them faster and JAX's persistent cache (`seqlab check` and the test suite
use them; backend-guarded: nothing happens on the other backends)."""

import contextlib
import json
import os
import subprocess
import sys

import keras

# XLA flags that make the check's small programs compile faster, in
# `XLA_FLAGS` form: together about halving the check's compile time
# (figures: benchmarks/README.md, "Measured figures behind library
# constants").
FAST_COMPILE_FLAGS = (
    # LLVM without optimization: the programs are a few ops on a dozen
    # numbers, and run as fast either way.
    "--xla_backend_optimization_level=0",
    # XLA:CPU's older loop emitters: they compile these programs in about
    # half the time of the fusion emitters (the default since 2025).
    "--xla_cpu_use_fusion_emitters=false",
)


def jax_compile_settings(cache_dir):
    """On JAX, settings that make a check compile less (backend-guarded).

    Op by op (`_op_by_op`), JAX compiles every primitive once per shape
    (about 540 tiny XLA programs in `seqlab check`), and each gradient is
    one compiled program (about 55). Two settings cut that:

    - `FAST_COMPILE_FLAGS` in `XLA_FLAGS`, each unless the user set that
      flag already. XLA reads `XLA_FLAGS` when it starts (at the first
      computation; a later change has no effect), and it aborts the
      process on a flag it does not know, so a flag a jaxlib may have
      dropped is first tried in a child process (`xla_accepts`).
    - JAX's persistent compilation cache in `cache_dir` (unless JAX is
      configured with one already): a later run loads the programs
      (a few MB) instead of compiling them.

    Returns the cache folder in use (None: not JAX, or `cache_dir` None).
    """
    if keras.backend.backend() != "jax":
        return None
    import jax  # backend-guarded

    flags = os.environ.get("XLA_FLAGS", "")
    for flag in FAST_COMPILE_FLAGS:
        name = flag.split("=")[0]
        if name in flags:
            continue
        known = flag == FAST_COMPILE_FLAGS[0] or xla_accepts(flag, cache_dir)
        if known:
            flags = f"{flags} {flag}".strip()
    os.environ["XLA_FLAGS"] = flags
    if cache_dir is None:
        return None
    configured = jax.config.jax_compilation_cache_dir
    if configured:
        return configured
    jax.config.update("jax_compilation_cache_dir", str(cache_dir))
    # Every program counts: each compiles in well under JAX's default
    # threshold of one second.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return str(cache_dir)


def xla_accepts(flag, cache_dir=None):
    """Whether this jaxlib's XLA accepts `flag` in `XLA_FLAGS` (backend-
    guarded): a child process compiles one program with it. The
    answer is kept in `cache_dir` per jaxlib version, when given."""
    import jaxlib  # backend-guarded

    record = None
    if cache_dir is not None:
        name = f"xla-flags-{jaxlib.__version__}.json"
        record = os.path.join(str(cache_dir), name)
        known = _recorded_answers(record).get(flag)
        if isinstance(known, bool):
            return known
    env = {**os.environ, "XLA_FLAGS": flag, "JAX_PLATFORMS": "cpu"}
    probe = "import jax; jax.jit(lambda x: x + 1)(1.0).block_until_ready()"
    try:
        child = subprocess.run(
            [sys.executable, "-c", probe],
            env=env,
            capture_output=True,
            timeout=120,
        )
        known = child.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        known = False
    if record is not None:
        answers = {**_recorded_answers(record), flag: known}
        partial = f"{record}.{os.getpid()}.tmp"
        # A record that cannot be written only means trying again next time.
        with contextlib.suppress(OSError):
            with open(partial, "w") as f:
                json.dump(answers, f)
            os.replace(partial, record)
    return known


def _recorded_answers(record):
    """The `{flag: accepted}` kept in `record`; {} if unreadable."""
    try:
        with open(record) as f:
            answers = json.load(f)
    except (OSError, ValueError):
        return {}
    return answers if isinstance(answers, dict) else {}
