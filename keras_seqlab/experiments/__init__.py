"""Experiments: settings, tasks, training and scoring, compare, reports.

The engine of `seqlab compare` and `seqlab tune`; imported when a command
runs, not by `import keras_seqlab`. Nothing here speaks command-line
flags: `SettingsError.fields` names the settings at fault and the CLI
turns them into its flags.
"""
