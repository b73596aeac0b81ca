"""Attention over time: the Transformer encoder block (`block`), attention
pooling (`pooling`) and the sinusoidal positional encoding
(`positional`)."""
