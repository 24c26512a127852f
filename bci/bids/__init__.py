"""BIDS trees: store a recording in one (through mne-bids), and find recordings in one.

BIDS EEG accepts BrainVision, EDF, BDF and EEGLAB data files, not XDF (nor FIF), so a
recording is converted on the way in; ``bci benchmark`` reads such trees back through
``mne_bids.read_raw_bids``, events from ``events.tsv`` and channel types from
``channels.tsv``.
"""

from bci.bids.convert import BIDS_FORMATS, BidsError, write_bids

__all__ = ["BIDS_FORMATS", "BidsError", "write_bids"]
