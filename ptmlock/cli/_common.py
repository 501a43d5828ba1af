"""What every command shares: exit codes, the error-to-code table, the parser conventions
(help with examples, exit codes and defaults; ``-v``/``-q`` and ``--format``/``--json`` after
the subcommand; typo suggestions), the JSON envelope, and finding the project upwards."""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ptmlock import errors

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_HUB = 0, 1, 2, 3
# Most specific first: the first matching class decides the exit code.
EXIT_CODES: tuple[tuple[type[errors.PtmlockError], int], ...] = (
    (errors.IntegrityError, EXIT_PROBLEMS),
    (errors.LockFileError, EXIT_USAGE),
    (errors.ConfigError, EXIT_USAGE),
    (errors.HubError, EXIT_HUB),
    (errors.UnsafePathError, EXIT_HUB),
    (errors.PtmlockError, EXIT_USAGE),
)
Handler = Callable[[argparse.Namespace], int]

# Every JSON document the CLI prints carries this; it goes up when a key changes meaning or
# goes away (new keys may appear without a bump). The shapes are schemas/cli/*.schema.json.
SCHEMA_VERSION = 1
LOCK_NAME = "ptm.lock"
PYPROJECT = "pyproject.toml"

# The meaning of each exit code, as every subcommand's help lists the ones it uses.
EXIT_MEANINGS = {
    0: "ok",
    1: "a check found problems",
    2: "usage, input or local storage error",
    3: "hub or network failure",
    70: "a bug in ptmlock (the traceback is shown)",
    130: "interrupted",
}


def err(message: str) -> None:
    print(f"ptmlock: error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"ptmlock: warning: {message}", file=sys.stderr)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def emit_document(command: str, body: dict[str, Any], *, ok: bool = True) -> None:
    """One JSON document on stdout: the envelope every command shares, then its own keys."""
    emit_json(
        {"schema_version": SCHEMA_VERSION, "command": command, "ok": ok, "error": None, **body}
    )


def emit_error(command: str, kind: str, message: str, hint: str | None, code: int) -> None:
    """The document a failed command prints instead of its own (when JSON was asked for)."""
    emit_json(
        {
            "schema_version": SCHEMA_VERSION,
            "command": command,
            "ok": False,
            "error": {"type": kind, "message": message, "hint": hint, "exit_code": code},
        }
    )


def wants_json(args: argparse.Namespace | None, argv: Sequence[str]) -> bool:
    """Whether the user asked for JSON (also when the arguments did not parse)."""
    if args is not None:
        return getattr(args, "output_format", None) == "json"
    return "--json" in argv or "--format=json" in argv or _pair(argv, "--format", "json")


def _pair(argv: Sequence[str], option: str, value: str) -> bool:
    return any(a == option and b == value for a, b in itertools.pairwise(argv))


# -- finding the project -----------------------------------------------------------------------
def _upwards(start: Path) -> Iterator[Path]:
    here = start.resolve()
    yield here
    yield from here.parents


def find_upwards(name: str, start: Path | None = None) -> Path | None:
    """The nearest ``name`` in ``start`` (default: the working folder) or a parent, as git and
    uv look for ``.git`` and ``pyproject.toml``; None when no folder up to the root has one."""
    for folder in _upwards(start or Path.cwd()):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def project_root(path: str | None) -> Path:
    """The project a command works on: ``path`` when given, else the nearest folder upwards
    holding ``pyproject.toml`` or ``ptm.lock``, else the working folder."""
    if path is not None:
        return Path(path)
    for folder in _upwards(Path.cwd()):
        if (folder / PYPROJECT).is_file() or (folder / LOCK_NAME).is_file():
            return folder
    return Path()


def lock_path_of(args: argparse.Namespace) -> Path:
    """``--lock``, else the nearest ``ptm.lock`` here or upwards, else ``./ptm.lock``."""
    if args.lock:
        return Path(args.lock)
    return find_upwards(LOCK_NAME) or Path(LOCK_NAME)


def add_lock_option(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    where = default or "the nearest ptm.lock in this folder or a parent"
    parser.add_argument("--lock", metavar="FILE", help=f"the lock file (default: {where})")


def add_insecure_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="talk plain HTTP to oci:// registries (a local test registry); default HTTPS",
    )


def add_output_options(parser: argparse.ArgumentParser, default: str = "text") -> None:
    """``--format text|json`` and its alias ``--json``, the same on every command."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--format",
        dest="output_format",
        choices=("text", "table", "json"),
        default=default,
        help=f"output: text for people (table is the same), json for machines (default: {default})",
    )
    group.add_argument(
        "--json",
        dest="output_format",
        action="store_const",
        const="json",
        help="the same as --format json: one JSON document on stdout",
    )


# -- parsers ----------------------------------------------------------------------------------
class HelpFormatter(argparse.HelpFormatter):
    """Wraps a one-paragraph description, keeps the layout of text with line breaks (the
    examples and exit codes), and says each option's default when its help does not."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or not action.option_strings:
            return text
        if action.default in (None, False, argparse.SUPPRESS) or action.const is not None:
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with a "did you mean" for a mistyped command, choice or option."""

    def error(self, message: str) -> NoReturn:
        hint = self._suggestion(message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{hint}\n")

    def _suggestion(self, message: str) -> str:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2))
            return _did_you_mean(choice.group(1), options)
        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if unknown:
            first = next((a for a in unknown.group(1).split() if a.startswith("-")), None)
            if first:
                return _did_you_mean(first.split("=")[0], sorted(_option_strings(self)))
        return ""


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    found: set[str] = set()
    for action in parser._actions:
        found.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= _option_strings(child)
    return found


def add_verbosity(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``-v``/``-q``, before or after the subcommand (after it, it wins)."""
    default: Any = 0 if top else argparse.SUPPRESS
    parser.add_argument(
        "-v", "--verbose", action="count", default=default, help="more log output (-vv: debug)"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no progress and no summary on stderr (errors still show)",
    )


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[tuple[str, str]],
    exits: Sequence[int] = (0, 2),
    output: bool = True,
) -> argparse.ArgumentParser:
    """A subcommand parser with its description, examples and exit codes in ``--help``,
    ``-v``/``-q``, and (``output``) ``--format``/``--json``."""
    width = max(len(command) for command, _ in examples)
    lines = ["examples:"]
    lines += [f"  {command.ljust(width)}  # {what}" for command, what in examples]
    lines += ["", "exit codes:"]
    lines += [f"  {code:<3} {EXIT_MEANINGS[code]}" for code in sorted({*exits, 70, 130})]
    parser = sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog="\n".join(lines),
        formatter_class=HelpFormatter,
    )
    add_verbosity(parser)
    if output:
        add_output_options(parser)
    return parser
