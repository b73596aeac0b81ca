"""Sequence classification: embedding, recurrent layers, a classifier."""

import keras
from keras import layers

from keras_seqlab.models.parts import RECURRENT_CELLS
from keras_seqlab.models.parts import recurrent_layer
from keras_seqlab.utils.validation import check_choice
from keras_seqlab.utils.validation import check_int
from keras_seqlab.utils.validation import check_rate
from keras_seqlab.utils.validation import check_units


def build_classifier(
    vocab_size,
    n_classes,
    cell="lstm",
    units=32,
    depth=1,
    embed_dim=32,
    dropout=0.0,
    recurrent_dropout=0.0,
    bidirectional=False,
    **options,
):
    """Sequence classifier: Embedding, stacked recurrent layers, a classifier.

    `Embedding(vocab_size, embed_dim, mask_zero=True)`: token 0 is padding,
    and its mask reaches every recurrent layer, so a padded sequence is
    classified like the unpadded one. Then `depth` recurrent layers of
    `cell` (optionally `Bidirectional`), and `Dense(1, "sigmoid")` for two
    classes or `Dense(n_classes, "softmax")` for more.

    Args:
        vocab_size: positive integer, the number of token ids (0 included).
        n_classes: integer >= 2.
        cell: a recurrent cell name (see `recurrent_layer`).
        units: positive integer, the units of each recurrent layer.
        depth: positive integer, the number of recurrent layers.
        embed_dim: positive integer, the embedding size.
        dropout, recurrent_dropout: of the recurrent layers.
        bidirectional: wrap each recurrent layer in `Bidirectional`.
        **options: further arguments of the recurrent layers (e.g.
            `variant="mgu"` for `"gru_variant"`).

    Returns:
        An uncompiled `keras.Model` from int token ids `(batch, T)` to
        `(batch, 1)` probabilities (2 classes) or `(batch, n_classes)`.

    Example:

    >>> model = build_classifier(1000, 2, cell="gru", units=8)
    >>> model.output_shape
    (None, 1)
    """
    owner = "build_classifier"
    vocab_size = check_units(owner, vocab_size, "vocab_size")
    n_classes = check_int(owner, "n_classes", n_classes, minimum=2)
    check_choice(owner, "cell", cell, RECURRENT_CELLS)
    units = check_units(owner, units)
    depth = check_units(owner, depth, "depth")
    embed_dim = check_units(owner, embed_dim, "embed_dim")
    check_rate(owner, "dropout", dropout)
    check_rate(owner, "recurrent_dropout", recurrent_dropout)
    inputs = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embed")(
        inputs
    )
    for i in range(depth):
        layer = recurrent_layer(
            cell,
            units,
            return_sequences=i < depth - 1,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            name=f"{cell}_{i}",
            **options,
        )
        if bidirectional:
            layer = layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x)
    if n_classes == 2:
        outputs = layers.Dense(1, activation="sigmoid", name="head")(x)
    else:
        outputs = layers.Dense(n_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=f"{cell}_classifier")
