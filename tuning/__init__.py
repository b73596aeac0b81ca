"""keras_seqlab.tuning: keras-tuner search spaces (installed from tuning/).

Nothing is exported yet: the HyperModels for each architecture arrive with
the model builders. The package exists now so that the installed layout,
`keras_seqlab.tuning` and never a top-level `tuning`, is fixed and tested.
"""
