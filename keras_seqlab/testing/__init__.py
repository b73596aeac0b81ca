"""Test harnesses: every layer against the reference, and layer checks."""
