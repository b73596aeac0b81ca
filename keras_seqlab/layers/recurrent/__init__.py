"""Recurrent cells and their layers, one module per family, on the bases
in `base` (`RecurrentCell`) and `rnn` (`SeqlabRNN`, `CellRNN`). The
private modules are their machinery: `_loop` (the mask rule and the
PyTorch time loop), `_scan` (MinGRU/MinLSTM's parallel scan) and
`_torch_denormal` (PyTorch only)."""
