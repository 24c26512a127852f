"""The project's own errors.

Every error a user can cause (a bad file, a bad config, a missing stream, a model that
does not fit the stream) is one of these, with a message that names the problem and what
to do. The command line prints ``str(error)`` on one line and exits non-zero; anything
else reaching the top is a bug in bci.
"""


class BciError(Exception):
    """Base class: a problem the user can fix, described in one line."""


class RecordingError(BciError, ValueError):
    """A recording cannot be read: unknown format, corrupt, truncated or mislabelled."""


class ConfigError(BciError, ValueError):
    """A pipeline or protocol configuration is malformed or inconsistent."""


class StreamError(BciError, RuntimeError):
    """An LSL stream cannot be found, opened, or does not match what is expected."""


class ModelError(BciError, ValueError):
    """A model file cannot be loaded or does not fit the stream it is used on."""
