"""The base of the search spaces: `SeqHyperModel`, overrides, the registry.

See `keras_seqlab.tuning.hypermodels` for the spaces themselves.
"""

import keras
import keras_tuner
from keras_tuner.engine import hyperparameters as hp_types

from keras_seqlab import models

# Arguments that describe the problem: constructor arguments, not options.
_PROBLEM_ARGS = ("input_shape", "head", "horizon", "n_targets")

_REGISTRY = {}


def register(name):
    """Class decorator: `cls` is the search space of architecture `name`."""

    def decorate(cls):
        cls.architecture = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def names():
    """The architectures that have a hypermodel, in the builders' order."""
    return tuple(name for name in models.names() if name in _REGISTRY)


def hypermodel_class(name):
    """The `SeqHyperModel` subclass of architecture `name`."""
    if name not in _REGISTRY:
        known = ", ".join(names())
        raise ValueError(
            f"keras_seqlab.tuning: unknown architecture {name!r}; the "
            f"architectures with a search space are {known}."
        )
    return _REGISTRY[name]


def get_hypermodel(name, input_shape, **kwargs):
    """The hypermodel of architecture `name` for inputs `input_shape`.

    Args:
        name: one of `names()`.
        input_shape: `(timesteps, features)`.
        **kwargs: the `SeqHyperModel` arguments (`head`, `horizon`,
            `n_targets`, `loss`, `metrics`, `overrides`, `options`, ...).

    Returns:
        A `SeqHyperModel` instance.
    """
    return hypermodel_class(name)(input_shape, **kwargs)


def _override(name, declared, value):
    """A hyperparameter object for `overrides[name] = value`."""
    if isinstance(value, hp_types.HyperParameter):
        if value.name != name:
            raise ValueError(
                f"overrides[{name!r}] is a hyperparameter named "
                f"{value.name!r}; the names must match."
            )
        return value
    if isinstance(value, (list, tuple)):
        default = declared.default if declared.default in value else None
        return hp_types.Choice(name, list(value), default=default)
    if isinstance(value, dict):
        config = declared.get_config()
        unknown = sorted(set(value) - (set(config) - {"name", "conditions"}))
        if unknown:
            allowed = sorted(set(config) - {"name", "conditions"})
            raise ValueError(
                f"overrides[{name!r}]: {type(declared).__name__} takes "
                f"{', '.join(allowed)}; got {', '.join(unknown)}."
            )
        config.update(value)
        if "default" not in value and not _contains(config, config["default"]):
            config["default"] = None
        return type(declared).from_config(config)
    return hp_types.Fixed(name, value)


def _contains(config, value):
    """Whether a range or choice config still holds the declared default."""
    if "values" in config:
        return value in config["values"]
    if "min_value" in config:
        return config["min_value"] <= value <= config["max_value"]
    return True


class SeqHyperModel(keras_tuner.HyperModel):
    """Base class: the search space of one `keras_seqlab.models` builder.

    A subclass sets `architecture` (through the registry) and implements
    `build_model(hp)`, which declares the hyperparameters inline and calls
    `self.make(**builder_kwargs)`. `build(hp)` registers the overrides
    first, then compiles the model with Adam at the searched learning rate;
    `fit(hp, model, ...)` trains with the searched batch size.

    Creating a hypermodel builds its default model once (and once more with
    the overrides): bad problem arguments, options or fixed values raise a
    `ValueError` here, not inside every trial of a search. The names of the
    space are read off that build, so `build_model` declares every
    hyperparameter on every call: values may change the structure through
    plain `if`s, but not which hyperparameters exist.

    Args:
        input_shape: `(timesteps, features)`, without the batch axis.
        head: `"many_to_one"`, `"seq_to_vector"` or `"seq_to_seq"`.
        horizon: positive integer, the number of steps forecast.
        n_targets: positive integer, the number of target columns.
        loss: the compiled loss (default mean squared error).
        metrics: the compiled metrics (default mean absolute error).
        overrides: dict from hyperparameter name to a fixed value, a list
            of choices, a dict of changed range arguments (e.g.
            `{"max_value": 256}`) or a `keras_tuner` hyperparameter.
        options: builder options that are not searched (e.g.
            `{"pooling": "last"}` for attention); an option that the space
            searches raises a `ValueError` (fix it with `overrides`).
        name, tunable: as in `keras_tuner.HyperModel`.
    """

    architecture = None
    # False for a model without weights (persistence): no learning rate or
    # batch size to search.
    trainable = True

    def __init__(
        self,
        input_shape,
        head="many_to_one",
        horizon=1,
        n_targets=1,
        loss="mse",
        metrics=("mae",),
        overrides=None,
        options=None,
        name=None,
        tunable=True,
    ):
        super().__init__(name=name or type(self).__name__, tunable=tunable)
        self.input_shape = input_shape
        self.head = head
        self.horizon = horizon
        self.n_targets = n_targets
        self.loss = loss
        self.metrics = list(metrics) if metrics else None
        self.options = dict(options or {})
        problem = sorted(set(self.options) & set(_PROBLEM_ARGS))
        if problem:
            raise ValueError(
                f"{self.name}: pass {', '.join(problem)} as constructor "
                "arguments, not in `options`."
            )
        self._overrides = []
        # The class's `build`, not keras-tuner's instance wrapper: with
        # tunable=False the wrapper builds on a copy of `space`.
        space = keras_tuner.HyperParameters()
        type(self).build(self, space)
        declared = {hp.name: hp for hp in space.space}
        self.hyperparameter_names = tuple(declared)
        overrides = dict(overrides or {})
        self._check_names(overrides, "overrides")
        try:
            self._overrides = [
                _override(key, declared[key], value)
                for key, value in overrides.items()
            ]
        except ValueError as error:
            raise ValueError(f"{self.name}: {error}") from None
        if self._overrides:
            space = keras_tuner.HyperParameters()
            try:
                type(self).build(self, space)
            except ValueError as error:
                raise ValueError(
                    f"{self.name}: overrides {overrides!r} give an invalid "
                    f"model: {error}"
                ) from None
        self._space = space

    def _check_names(self, names, where):
        unknown = [n for n in names if n not in self.hyperparameter_names]
        if unknown:
            valid = ", ".join(self.hyperparameter_names) or "none"
            raise ValueError(
                f"{self.name}: unknown hyperparameter(s) "
                f"{', '.join(map(repr, unknown))} in {where}; the "
                f"{self.architecture!r} search space has: {valid}."
            )

    def search_space(self):
        """A fresh `keras_tuner.HyperParameters`: the space, at defaults."""
        order = {name: i for i, name in enumerate(self.hyperparameter_names)}
        space = keras_tuner.HyperParameters()
        space.merge(sorted(self._space.space, key=lambda h: order[h.name]))
        return space

    def declare_hyperparameters(self, hp):
        """Registers the overrides in a tuner's space; checks its names.

        keras-tuner calls this with the tuner's `hyperparameters=` (the
        space so far) when the tuner is created.
        """
        names = [h.name for h in hp.space if not h.name.startswith("tuner/")]
        self._check_names(names, "the tuner's hyperparameters")
        both = sorted({h.name for h in self._overrides} & set(names))
        if both:
            raise ValueError(
                f"{self.name}: {', '.join(both)} set both by `overrides` and "
                "by the tuner's `hyperparameters`; give each in one place."
            )
        hp.merge(self._overrides, overwrite=False)

    def build(self, hp):
        hp.merge(self._overrides, overwrite=False)
        model = self.build_model(hp)
        if not self.trainable:
            model.compile(
                optimizer="adam", loss=self.loss, metrics=self.metrics
            )
            return model
        learning_rate = hp.Float(
            "learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3
        )
        # Declared here as well as in `fit` so that the tuner sees it from
        # the first trial (keras-tuner only explores what `build` declares).
        self.batch_size(hp)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss=self.loss,
            metrics=self.metrics,
        )
        return model

    def build_model(self, hp):
        """Declares the architecture's hyperparameters; returns the model."""
        raise NotImplementedError

    def batch_size(self, hp):
        """The searched batch size."""
        return hp.Choice("batch_size", [16, 32, 64, 128], default=32)

    def fit(self, hp, model, *args, **kwargs):
        """`model.fit` with the searched batch size (array inputs)."""
        if self.trainable:
            if "batch_size" in kwargs:
                raise ValueError(
                    f"{self.name}: `batch_size` is a hyperparameter of the "
                    "search; fix it with overrides={'batch_size': N} instead "
                    "of passing it to `search`/`fit`."
                )
            x = args[0] if args else kwargs.get("x")
            if _array_like(x):
                kwargs["batch_size"] = self.batch_size(hp)
        return model.fit(*args, **kwargs)

    def make(self, **kwargs):
        """`models.build(architecture, ...)` with the problem and options."""
        tuned = sorted(set(self.options) & set(kwargs))
        if tuned:
            raise ValueError(
                f"{self.name}: option(s) {', '.join(map(repr, tuned))} are "
                "set by the search space; fix the hyperparameter with "
                "`overrides` instead."
            )
        return models.build(
            self.architecture,
            self.input_shape,
            head=self.head,
            horizon=self.horizon,
            n_targets=self.n_targets,
            **self.options,
            **kwargs,
        )


def _array_like(x):
    """Arrays (or dicts/lists of them) take `batch_size`; datasets do not."""
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, (list, tuple)):
        x = x[0] if x else None
    if isinstance(x, keras.utils.PyDataset):
        return False
    return hasattr(x, "shape") and hasattr(x, "__len__")
