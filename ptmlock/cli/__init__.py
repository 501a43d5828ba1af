"""The ``ptmlock`` command: argparse subcommands over the library API.

This package is the only code that prints or exits. One module per group of subcommands, each
with a ``register(sub)`` that adds its parsers; ``COMMANDS`` below is the registry. Exit codes
(``_common.EXIT_CODES``): 0 ok, 1 a check found problems, 2 usage, input or local storage error,
3 hub or network failure. An unexpected exception is a bug: it is shown with its traceback and a
request to report it. With ``--json`` (or ``--format json``) a failure also prints an error
document on stdout, so a machine reading stdout always gets JSON.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from ptmlock import __version__, errors
from ptmlock.cli import audit, export, install, mirror, project, push, scan
from ptmlock.cli._common import (
    EXIT_CODES,
    EXIT_OK,
    EXIT_USAGE,
    Handler,
    HelpFormatter,
    Parser,
    add_verbosity,
    emit_error,
    err,
    wants_json,
)

__all__ = ["build_parser", "main"]

# Each module adds its subcommands, in the order ``--help`` lists them.
COMMANDS = (scan, install, push, export, audit, mirror, project)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="ptmlock",
        description="The lockfile for pre-trained models: find every model a project loads, pin "
        "it with hashes in ptm.lock, install exactly those bytes, export an ML-BOM.",
        epilog="Exit codes: 0 ok, 1 a check found problems, 2 usage, input or local storage "
        "error, 3 hub or network failure, 70 a bug in ptmlock, 130 interrupted.\n"
        "`ptmlock COMMAND --help` shows each command's options, examples and exit codes.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ptmlock {__version__}")
    add_verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or --help)
        if exc.code not in (0, None) and wants_json(None, argv):
            command = next((a for a in argv if not a.startswith("-")), "ptmlock")
            emit_error(command, "UsageError", "invalid arguments (see stderr)", None, EXIT_USAGE)
        raise
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args)
    except errors.PtmlockError as exc:
        code = next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
        return _failed(args, type(exc).__name__, str(exc), exc.hint, code)
    except KeyboardInterrupt:
        return _failed(
            args, "Interrupted", "interrupted; nothing partial was left at a final path", None, 130
        )
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the machine's answer (a path that can't be read or written)
        message = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        if args.verbose:
            traceback.print_exc()
        return _failed(args, "OSError", message, None, EXIT_USAGE)
    except Exception:
        traceback.print_exc()
        message = "this is a bug in ptmlock: please report it with the traceback above"
        return _failed(args, "Bug", message, None, 70)


def _failed(args: argparse.Namespace, kind: str, message: str, hint: str | None, code: int) -> int:
    """Say what went wrong on stderr, and as an error document when JSON was asked for."""
    err(message)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    if wants_json(args, ()):
        emit_error(_command_name(args), kind, message, hint, code)
    return code


def _command_name(args: argparse.Namespace) -> str:
    action = getattr(args, "mirror_command", None)
    return f"{args.command} {action}" if action else str(args.command)


if __name__ == "__main__":
    sys.exit(main())
