"""Programs built on the bci library: the pyqtgraph monitor."""
