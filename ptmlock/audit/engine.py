"""``audit``: run every rule over a lock, its installed files and the project, in one report.

Model files are read from where ``install`` put them, after ``verify`` confirmed they are the
locked bytes (``fetch=True`` installs what is missing first); a file that is absent or altered
is reported, never scanned. Questions only the hub can answer (the repo's other files at the
locked commit, its signature) go to the hub; when it can't be reached those checks are listed
in ``notes`` and the rest of the audit still runs.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ptmlock.audit.code_rules import (
    line_text,
    remote_code_sites,
    token_findings,
    unpinned_findings,
)
from ptmlock.audit.findings import AuditReport, Finding, ScannedFile, SignatureState, sort_key
from ptmlock.audit.model_rules import licence_findings, pickle_findings, safetensors_findings
from ptmlock.audit.pickle_files import is_pickle_based
from ptmlock.audit.policy import AuditPolicy
from ptmlock.audit.remote_code import remote_code_finding
from ptmlock.audit.rules import rule_for
from ptmlock.audit.signatures import SIGNATURE_FILE, verify_signature
from ptmlock.errors import PtmlockError
from ptmlock.layout import Layout
from ptmlock.models import Lock, LockedModel, Reference
from ptmlock.verify import Problem, verify

if TYPE_CHECKING:
    from ptmlock.hubs.hf_repo import HfRepoView

__all__ = ["audit"]

log = logging.getLogger(__name__)
_INLINE = re.compile(r"#\s*ptmlock:\s*ignore\[([^\]]+)\]")


class _Context:
    """The lock's files on disk and the hub's answers, each asked for once."""

    def __init__(
        self, lock: Lock, layout: Layout, bad: set[tuple[str, str]], view: HfRepoView | None
    ) -> None:
        self.lock, self.layout, self.bad, self.view = lock, layout, bad, view
        self.notes: list[str] = []
        self._listings: dict[str, tuple[str, ...] | None] = {}

    def installed(self, model: LockedModel, path: str) -> Path | None:
        """The verified file the application would open, or None."""
        file = next((f for f in model.files if f.path == path), None)
        if file is None or (model.id, path) in self.bad:
            return None
        return self.layout.place(model, file).opened

    def read_locked(self, model: LockedModel, path: str) -> bytes | None:
        where = self.installed(model, path)
        return where.read_bytes() if where is not None else None

    def repo_files(self, model: LockedModel) -> tuple[str, ...] | None:
        if model.hub != "huggingface":
            return None
        if model.id not in self._listings:
            self._listings[model.id] = self._ask(
                model, "its file list", lambda v: v.files_at(model.id, model.revision)
            )
        return self._listings[model.id]

    def _ask(
        self, model: LockedModel, what: str, question: Callable[[HfRepoView], tuple[str, ...]]
    ) -> tuple[str, ...] | None:
        if self.view is None:
            self.notes.append(f"{model.id}: {what} at the locked commit not checked (no hub)")
            return None
        try:
            return question(self.view)
        except PtmlockError as error:
            self.notes.append(f"{model.id}: {what} at the locked commit not checked: {error}")
            return None


def audit(
    lock: Lock,
    *,
    root: Path,
    policy: AuditPolicy,
    references: Sequence[Reference] = (),
    project_files: Sequence[str] = (),
    cache_dir: Path | None = None,
    torch_dir: Path | None = None,
    view: HfRepoView | None = None,
) -> AuditReport:
    """Every finding for ``lock`` (its files as installed) and the project under ``root``.

    ``references`` and ``project_files`` come from the scan (``ptmlock.scan``); ``view`` is the
    hub to ask about repos (None: those checks are skipped and noted).
    """
    checked = verify(lock, cache_dir=cache_dir, torch_dir=torch_dir)
    bad = {(p.model, p.path) for p in checked.problems}
    context = _Context(lock, Layout(cache_dir, torch_dir), bad, view)
    findings: list[Finding] = []
    files: list[ScannedFile] = []
    signatures: list[SignatureState] = []
    for model in lock.models:
        for record, found in _model_files(context, model, checked.problems):
            files.append(record)
            findings += found
        listing = context.repo_files(model) if _has_pickle_weights(model) else None
        findings += safetensors_findings(model, listing or ())
        findings += licence_findings(model, policy)
        if model.hub == "huggingface":
            state = _signature(context, model, policy)
            signatures.append(state)
            findings += _signature_findings(model, state, policy)
    sites = remote_code_sites(root, project_files, references)
    for site in sites:
        findings.append(remote_code_finding(site, lock, context.read_locked, context.repo_files))
    findings += token_findings(root, project_files)
    findings += unpinned_findings(references, lock)
    findings = [_suppress(f, root, policy) for f in findings]
    return AuditReport(
        findings=tuple(sorted(findings, key=sort_key)),
        files=tuple(files),
        signatures=tuple(signatures),
        notes=tuple(context.notes),
        models=len(lock.models),
    )


def _model_files(
    context: _Context, model: LockedModel, problems: Sequence[Problem]
) -> list[tuple[ScannedFile, list[Finding]]]:
    out = []
    for file in model.files:
        if not is_pickle_based(file.path):
            continue
        where = context.installed(model, file.path)
        if where is None:
            why = next(
                (str(p) for p in problems if (p.model, p.path) == (model.id, file.path)),
                "not installed",
            )
            record = ScannedFile(model=model.id, file=file.path, status="not-scanned", detail=why)
            finding = Finding(
                rule="PTM105",
                severity="high",
                message=f"not scanned: {why}",
                fix="run ptmlock install (or ptmlock audit --fetch), then audit again",
                model=model.id,
                file=file.path,
            )
            out.append((record, [finding]))
            continue
        out.append(pickle_findings(model, file, where))
    return out


def _has_pickle_weights(model: LockedModel) -> bool:
    return any(f.path.endswith((".bin", ".pt", ".pth", ".ckpt")) for f in model.files)


def _signature(context: _Context, model: LockedModel, policy: AuditPolicy) -> SignatureState:
    org = model.id.split("/", 1)[0] if "/" in model.id else ""
    signer = policy.signers.get(org)
    locked_sig = context.installed(model, SIGNATURE_FILE)
    snapshot = _snapshot(context, model)
    if locked_sig is not None:
        return verify_signature(model, locked_sig, signer, snapshot)
    listing = context.repo_files(model)
    if listing is None:
        return SignatureState(model=model.id, status="unknown", detail="no answer from the hub")
    if SIGNATURE_FILE not in listing or context.view is None:
        return SignatureState(model=model.id, status="unsigned", detail=f"no {SIGNATURE_FILE}")
    try:
        data = context.view.read_small(model.id, model.revision, SIGNATURE_FILE)
    except PtmlockError as error:
        return SignatureState(model=model.id, status="unknown", detail=str(error))
    with tempfile.TemporaryDirectory(prefix="ptmlock-sig-") as folder:
        path = Path(folder) / SIGNATURE_FILE
        path.write_bytes(data)
        return verify_signature(model, path, signer, snapshot)


def _snapshot(context: _Context, model: LockedModel) -> Path | None:
    if not model.files:
        return None
    first = context.installed(model, model.files[0].path)
    if first is None:
        return None
    depth = model.files[0].path.count("/") + 1
    return first.parents[depth - 1]


def _signature_findings(
    model: LockedModel, state: SignatureState, policy: AuditPolicy
) -> list[Finding]:
    org = model.id.split("/", 1)[0] if "/" in model.id else ""
    signer = policy.signers.get(org)
    if state.status == "invalid":
        return [
            Finding(
                rule="PTM401",
                severity="critical",
                message=f"signature does not verify: {state.detail}",
                fix="do not install; ask the publisher, or re-lock a commit whose signature holds",
                model=model.id,
                file=SIGNATURE_FILE,
            )
        ]
    if signer is not None and signer.require and state.status != "signed":
        return [
            Finding(
                rule="PTM402",
                severity="high",
                message=f"{org} models must be signed; this one is {state.status}"
                + (f" ({state.detail})" if state.detail else ""),
                fix=f"lock a commit signed with model_signing, or adjust [tool.ptmlock.signatures"
                f".{org}]",
                model=model.id,
            )
        ]
    return []


def _suppress(finding: Finding, root: Path, policy: AuditPolicy) -> Finding:
    """Mark the finding suppressed (with the reason) by an inline comment or audit.ignore."""
    if finding.line is not None and finding.file is not None:
        match = _INLINE.search(line_text(root, finding.file, finding.line))
        if match:
            named = {rule_for(k).id for k in match.group(1).split(",") if rule_for(k)}  # type: ignore[union-attr]
            if finding.rule in named:
                return replace(finding, suppressed="inline # ptmlock: ignore")
    for entry in policy.ignore:
        if entry.rule != finding.rule:
            continue
        if entry.model is not None and entry.model != finding.model:
            continue
        if entry.file is not None and entry.file != finding.file:
            continue
        return replace(finding, suppressed=entry.reason)
    return finding
