"""``python -m bci.feedback PROTOCOL.toml --stream N ...``: the same as ``bci neurofeedback``."""

import sys

from bci.feedback.cli import main

if __name__ == "__main__":
    sys.exit(main())
