"""What an audit reports: findings, the files it scanned, signature states, in one report."""

from __future__ import annotations

from dataclasses import dataclass

from ptmlock.audit.rules import SEVERITIES, Rule, Severity, at_least, rule_for

__all__ = ["AuditReport", "Finding", "ScannedFile", "SignatureState"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One problem: a rule, where (a model's file, or a project ``file:line``), and the fix."""

    rule: str  # the stable id, e.g. PTM101
    severity: Severity
    message: str
    fix: str
    model: str | None = None  # the locked model id
    file: str | None = None  # the model's file (repo path), or the project file
    member: str | None = None  # inside an archive: the member holding the pickle
    line: int | None = None  # set for project files: ``file`` is then relative to the root
    suppressed: str | None = None  # the reason, when a suppression matched

    @property
    def definition(self) -> Rule:
        found = rule_for(self.rule)
        assert found is not None, self.rule
        return found

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        parts = [p for p in (self.model, self.file) if p]
        where = "/".join(parts)
        return f"{where}:{self.member}" if self.member else where


@dataclass(frozen=True, kw_only=True, slots=True)
class ScannedFile:
    model: str
    file: str
    status: str  # scanned | unscannable | not-scanned
    format: str | None = None
    pickles: int = 0
    imports: int = 0
    detail: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SignatureState:
    model: str
    status: str  # signed | unsigned | invalid | unverified | unknown
    detail: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditReport:
    findings: tuple[Finding, ...] = ()
    files: tuple[ScannedFile, ...] = ()
    signatures: tuple[SignatureState, ...] = ()
    notes: tuple[str, ...] = ()  # checks that could not run, and why
    models: int = 0

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppressed is None)

    def failed(self, threshold: Severity | None) -> bool:
        return threshold is not None and any(at_least(f.severity, threshold) for f in self.active)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.active if f.severity == s) for s in reversed(SEVERITIES)}


def sort_key(finding: Finding) -> tuple[int, str, str, int, str, str]:
    """Worst first; then by rule, and within a rule by project file and line, or by model."""
    place = finding.file if finding.line is not None else finding.model
    return (
        -SEVERITIES.index(finding.severity),
        finding.rule,
        place or "",
        finding.line or 0,
        finding.file or "",
        finding.member or "",
    )
