"""keras_seqlab.tuning: keras-tuner search spaces (installed from tuning/).

- One `keras_tuner.HyperModel` per architecture of `keras_seqlab.models`
  (`get_hypermodel(name, input_shape, ...)`, `names()`, or the classes
  `HyperLSTM`, `HyperWaveNet`, ...), with inline defaults that reproduce
  the untuned builder and every range overridable.
- Time-ordered validation: `time_ordered_search` scores every trial on the
  later part of the data; `walk_forward_splits`, `WalkForward` and
  `walk_forward` add expanding-window cross-validation.

The hypermodels need keras-tuner (`pip install "keras-seqlab[tuning]"`);
they are imported on first use, so this package imports without it.
"""

from keras_seqlab.tuning.validation import TUNER_KINDS
from keras_seqlab.tuning.validation import WalkForward
from keras_seqlab.tuning.validation import time_ordered_search
from keras_seqlab.tuning.validation import tuner_class
from keras_seqlab.tuning.validation import walk_forward
from keras_seqlab.tuning.validation import walk_forward_splits

# Read from `hypermodels` when first used (it needs keras-tuner): its
# functions, and every class whose name starts with "Hyper" (one per
# architecture, registered there) or is the base class.
_LAZY_FUNCTIONS = ("get_hypermodel", "hypermodel_class", "names")


def _lazy(name):
    return (
        name.startswith("Hyper")
        or name == "SeqHyperModel"
        or name in _LAZY_FUNCTIONS
    )


__all__ = [
    "TUNER_KINDS",
    "WalkForward",
    "time_ordered_search",
    "tuner_class",
    "walk_forward",
    "walk_forward_splits",
    "SeqHyperModel",
    *_LAZY_FUNCTIONS,
]


def __getattr__(name):
    if not _lazy(name):
        raise AttributeError(
            f"module 'keras_seqlab.tuning' has no attribute {name!r}"
        )
    try:
        from keras_seqlab.tuning import hypermodels
    except ImportError as error:
        raise ImportError(
            f"keras_seqlab.tuning.{name} needs keras-tuner, which does not "
            f'import here ({error}); pip install "keras-seqlab[tuning]".'
        ) from error
    return getattr(hypermodels, name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
