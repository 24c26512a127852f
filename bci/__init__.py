"""bci: real-time brain-computer-interface decoding over Lab Streaming Layer.

The library is headless (no Qt import anywhere under ``bci``); the desktop monitor
lives in ``bci_apps``.
"""

__version__ = "0.1.0"
