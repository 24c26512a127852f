"""The ``bci`` command line: parses arguments, then calls the library.

One module per subcommand (``bci/cli/<command>.py``, each with ``HELP``, ``EXAMPLE`` and
``HOWTO`` (the end of its ``--help``, see :func:`epilog`), optionally ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``), one supervisor for all of them
(:mod:`bci.cli.supervisor`: start-up, SIGTERM, waiting, one-line errors). Every user error
is one line on stderr (``bci: error: ...``) and exit status 1; ``--json`` prints exactly
one JSON object on stdout, logs go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

#: Subcommands in the order ``bci --help`` lists them: name -> module under ``bci.cli``.
#: A module is imported (cheaply: heavy imports live inside ``run``) to build the parser;
#: those marked lazy also load their flags only when used (the monitor loads Qt).
SUBCOMMANDS: dict[str, str] = {
    "streams": "streams", "info": "info", "replay": "replay", "simulate": "simulate",
    "live": "live", "train": "train", "evaluate": "evaluate", "bench": "bench",
    "monitor": "monitor", "record": "record", "neurofeedback": "neurofeedback",
    "present": "present", "calibrate": "calibrate", "benchmark": "benchmark",
    "bids": "bids", "cursor": "cursor", "assess": "assess", "report": "report",
    "demo": "demo",
}
_LAZY_FLAGS = {"monitor", "present", "calibrate"}

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}
_SUBPARSERS: dict[str, argparse.ArgumentParser] = {}


def _module(name: str):
    return importlib.import_module(f"bci.cli.{SUBCOMMANDS[name]}")


def package_version() -> str:
    """The installed package's version (``bci.__version__`` when run from a source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bci")
    except PackageNotFoundError:
        import bci

        return bci.__version__


def epilog(module) -> str:
    """The end of a subcommand's ``--help``: its example and where its how-to is.

    Parameters
    ----------
    module : module
        A ``bci.cli`` command module with ``EXAMPLE`` (shell lines, run from the project
        root; a trailing ``# needs ...`` comment says what a line needs beyond the
        shipped files, e.g. a stream or a display) and ``HOWTO`` (documents to read).

    Returns
    -------
    str
        ``example:`` and the lines indented by two spaces, then ``how-to:`` and the
        documents; ``tests/test_cli_help.py`` runs every line that needs nothing more.
    """
    lines = ["example (from the project root):"]
    lines += [f"  {line}" for line in module.EXAMPLE.strip().splitlines()]
    lines += ["", "how-to:"] + [f"  {doc}" for doc in module.HOWTO]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The ``bci`` parser with every subcommand (lazy ones without their flags)."""
    parser = argparse.ArgumentParser(
        prog="bci", description="Real-time BCI decoding over Lab Streaming Layer.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"bci {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _SUBPARSERS.clear()
    for name in SUBCOMMANDS:
        module = _module(name)
        _SUBPARSERS[name] = p = sub.add_parser(
            name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=epilog(module), formatter_class=argparse.RawDescriptionHelpFormatter)
        if name not in _LAZY_FLAGS:
            module.add_arguments(p)
        COMMANDS[name] = module.run
    # Where a newcomer starts: the demo, the examples, the two entry documents.
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ("start here: bci demo (trains on a shipped sample, replays it, decodes "
                     "it live)\nevery 'bci COMMAND --help' ends with an example and its "
                     "how-to\nhow-to: docs/quickstart.md; from Python or a notebook: "
                     "docs/python.md")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bci`` console script."""
    from bci.cli.supervisor import configure, run_command

    argv = list(sys.argv[1:] if argv is None else argv)

    def parse_and_run() -> int:
        parser = build_parser()
        if argv and argv[0] in _LAZY_FLAGS:
            _module(argv[0]).add_arguments(_SUBPARSERS[argv[0]])
        args = parser.parse_args(argv)
        configure(verbose=args.verbose)
        return COMMANDS[args.command](args)

    return run_command(parse_and_run)


__all__ = ["COMMANDS", "SUBCOMMANDS", "build_parser", "epilog", "main", "package_version"]
