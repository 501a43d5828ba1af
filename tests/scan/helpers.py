"""Scanning in-memory projects: both phases over text, the way the real scan links files."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

from ptmlock.models import Reference
from ptmlock.scan import scan_files


def scan_text(
    relpath: str,
    text: str,
    *,
    others: Mapping[str, str] | None = None,
    directories: Iterable[str] = (),
    dedent: bool = True,
) -> list[Reference]:
    """The references found in ``relpath`` when the project is it plus ``others``."""
    source = textwrap.dedent(text) if dedent else text
    files = {relpath: source, **(others or {})}
    return [r for r in scan_files(files, directories=directories) if r.file == relpath]


def scan_project(files: Mapping[str, str], *, directories: Iterable[str] = ()) -> list[Reference]:
    """Every reference of a project given as relpath -> text."""
    return scan_files({k: textwrap.dedent(v) for k, v in files.items()}, directories=directories)
