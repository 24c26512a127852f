"""``python -m bci ...``: the same as the ``bci`` console script."""

import sys

from bci.cli import main

sys.exit(main())
