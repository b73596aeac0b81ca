"""Streaming inference: a causal model stepped one time point at a time.

`stream(model)` reads the model's layer graph (`graph`) and gives each
layer call its rule (`rules`): a state and one step's work. `Stepper`
is the result; `StepLayer` the same step as a Keras layer.
"""

from keras_seqlab.streaming.stepper import StepLayer
from keras_seqlab.streaming.stepper import Stepper
from keras_seqlab.streaming.stepper import stream

__all__ = ["StepLayer", "Stepper", "stream"]
