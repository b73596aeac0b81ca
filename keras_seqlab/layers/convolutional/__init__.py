"""Dilated causal convolutions: WaveNet and TCN blocks and stacks, and the
convolution, receptive field and argument checks they share
(`causal_conv`)."""
