"""Rules over the project's own files: trust_remote_code sites, hard-coded tokens, loader calls
without a revision. Findings carry ``file:line``; an inline ``# ptmlock: ignore[RULE]`` on that
line suppresses them (the engine applies it)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ptmlock.audit.findings import Finding
from ptmlock.audit.tokens import find_tokens
from ptmlock.models import Lock, Reference
from ptmlock.named import locked_id

__all__ = ["RemoteCodeSite", "remote_code_sites", "token_findings", "unpinned_findings"]

log = logging.getLogger(__name__)
_MAX_TEXT = 2 << 20  # larger files are data, not code or config


@dataclass(frozen=True, slots=True)
class RemoteCodeSite:
    file: str
    line: int
    model: str | None  # None: the model could not be named statically


def call_site(ref: Reference) -> tuple[str, int]:
    """Where the loading call is: the last hop of the chain, else the reference itself."""
    if ref.chain:
        where = ref.chain[-1].split(" ", 1)[0]
        file, _, line = where.rpartition(":")
        if file and line.isdigit():
            return file, int(line)
    return ref.file, ref.line


def remote_code_sites(
    root: Path, files: Iterable[str], references: Sequence[Reference]
) -> list[RemoteCodeSite]:
    """Every call with ``trust_remote_code=True`` in the project's Python files."""
    by_call: dict[tuple[str, int], list[Reference]] = {}
    for ref in references:
        by_call.setdefault(call_site(ref), []).append(ref)
    sites = []
    for rel in files:
        if not rel.endswith(".py"):
            continue
        text = _read_text(root / rel)
        if text is None or "trust_remote_code" not in text:
            continue
        try:
            tree = ast.parse(text, filename=rel)
        except (SyntaxError, ValueError):
            continue  # the scan reports unparsable files
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _trusts(node):
                sites += _sites_of(rel, node, by_call)
    return sites


def _trusts(call: ast.Call) -> bool:
    return any(
        k.arg == "trust_remote_code" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def _sites_of(
    rel: str, call: ast.Call, by_call: dict[tuple[str, int], list[Reference]]
) -> list[RemoteCodeSite]:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return [RemoteCodeSite(rel, call.lineno, first.value)]
    end = call.end_lineno or call.lineno
    models = sorted(
        {
            r.model
            for line in range(call.lineno, end + 1)
            for r in by_call.get((rel, line), [])
            if r.model
        }
    )
    return [RemoteCodeSite(rel, call.lineno, m) for m in models] or [
        RemoteCodeSite(rel, call.lineno, None)
    ]


def token_findings(root: Path, files: Iterable[str]) -> list[Finding]:
    findings = []
    for rel in files:
        text = _read_text(root / rel)
        if text is None:
            continue
        findings += [
            Finding(
                rule="PTM203",
                severity="high",
                message=f"{hit.kind} {hit.redacted} written in the file",
                fix="revoke it, remove it from the file and its history, read it from the "
                "environment (HF_TOKEN) instead",
                file=rel,
                line=hit.line,
            )
            for hit in find_tokens(text)
        ]
    return findings


def unpinned_findings(references: Sequence[Reference], lock: Lock) -> list[Finding]:
    """Loader calls with no revision whose model the lock pins: the pin lives only in the lock."""
    findings, seen = [], set()
    for ref in references:
        if ref.model is None or ref.revision or ref.confidence == "low" or ref.how == "doc":
            continue
        model = locked_id(ref.model, ref.library)
        locked = next((m for m in lock.models if m.id == model and m.requested is None), None)
        if locked is None or locked.hub != "huggingface":
            continue
        file, line = call_site(ref)
        if (file, line, ref.model) in seen:
            continue
        seen.add((file, line, ref.model))
        findings.append(
            Finding(
                rule="PTM204",
                severity="info",
                message=f"{ref.api} loads {ref.model} with no revision: only ptm.lock pins it",
                fix=f'add revision="{locked.revision}" to the call',
                model=ref.model,
                file=file,
                line=line,
            )
        )
    return findings


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_TEXT:
            return None
        data = path.read_bytes()
    except OSError as error:
        log.debug("cannot read %s: %s", path, error)
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def line_text(root: Path, rel: str, line: int) -> str:
    text = _read_text(root / rel)
    lines = text.splitlines() if text else []
    return lines[line - 1] if 0 < line <= len(lines) else ""
