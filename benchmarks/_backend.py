"""Backend set-up shared by the benchmark scripts (thread counts, versions).

The scripts run as `python benchmarks/NAME.py`, so this module is found
beside them. Backend imports happen only for the backend in use.
"""

import os
import sys


def configure_threads(backend, threads):
    """Applies `--threads` where the backend allows it; says what is used."""
    default = f"backend default ({os.cpu_count()} cores)"
    if backend == "torch":
        import torch

        if threads:
            torch.set_num_threads(threads)
        return f"{torch.get_num_threads()} (torch.get_num_threads)"
    if backend == "tensorflow":
        import tensorflow as tf

        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
        if not (intra or inter):
            return default
        return f"intra-op {intra}, inter-op {inter} (0 = default)"
    if threads:
        print(
            f"warning: --threads is not applied on {backend}; its thread "
            "count is fixed before keras is imported (XLA_FLAGS).",
            file=sys.stderr,
        )
    return default


def backend_version(backend):
    if backend == "torch":
        import torch

        return f"torch {torch.__version__}"
    if backend == "tensorflow":
        import tensorflow as tf

        return f"tensorflow {tf.__version__}"
    if backend == "jax":
        import jax

        return f"jax {jax.__version__}"
    return backend
