"""`python -m keras_seqlab.cli`: the `seqlab` command."""

import sys

from keras_seqlab.cli import main

sys.exit(main())
