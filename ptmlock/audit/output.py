"""The audit report as JSON (ptmlock's own shape, schemas/audit.schema.json) and as SARIF 2.1.0.

In SARIF a finding about a model's file is located at the model's entry in ``ptm.lock`` (the
file a reviewer changes to fix it), with the model, file and archive member as a logical
location; a finding in the project points at its ``file:line``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ptmlock import __version__
from ptmlock.audit.findings import AuditReport, Finding
from ptmlock.audit.rules import RULES, Severity

__all__ = ["JSON_VERSION", "report_json", "report_sarif"]

JSON_VERSION = 1
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0", "info": "0.0"}
_INFO_URI = "https://github.com/ptmlock/ptmlock#audit-rules"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "name": finding.definition.name,
        "severity": finding.severity,
        "message": finding.message,
        "fix": finding.fix,
        "model": finding.model,
        "file": finding.file,
        "member": finding.member,
        "line": finding.line,
        "suppressed": finding.suppressed,
    }


def report_json(report: AuditReport, *, lock: str, fail_on: Severity | None) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "lock": lock,
        "fail_on": fail_on or "never",
        "failed": report.failed(fail_on),
        "models": report.models,
        "counts": report.counts(),
        "findings": [_finding_json(f) for f in report.findings],
        "files": [
            {
                "model": f.model,
                "file": f.file,
                "status": f.status,
                "format": f.format,
                "pickles": f.pickles,
                "imports": f.imports,
                "detail": f.detail,
            }
            for f in report.files
        ],
        "signatures": [
            {"model": s.model, "status": s.status, "detail": s.detail} for s in report.signatures
        ],
        "notes": list(report.notes),
    }


def report_sarif(report: AuditReport, *, lock_path: Path, root: Path) -> dict[str, Any]:
    lock_uri = _relative(lock_path, root)
    lines = _model_lines(lock_path)
    index = {r.id: i for i, r in enumerate(RULES)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ptmlock",
                        "version": __version__,
                        "informationUri": _INFO_URI,
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.name,
                                "shortDescription": {"text": r.summary},
                                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                                "properties": {"security-severity": _SCORE[r.severity]},
                            }
                            for r in RULES
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "results": [
                    _result(f, index[f.rule], lock_uri, lines.get(f.model or "", 1))
                    for f in report.findings
                ],
            }
        ],
    }


def _result(finding: Finding, rule_index: int, lock_uri: str, lock_line: int) -> dict[str, Any]:
    if finding.line is not None and finding.file is not None:
        uri, line = finding.file, finding.line
    else:
        uri, line = lock_uri, lock_line
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line},
        }
    }
    if finding.model and finding.line is None:
        name = finding.where
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "resource"}]
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.where}: {finding.message}. Fix: {finding.fix}"},
        "locations": [location],
        "properties": {"severity": finding.severity},
    }
    if finding.suppressed is not None:
        kind = "inSource" if finding.suppressed.startswith("inline") else "external"
        result["suppressions"] = [{"kind": kind, "justification": finding.suppressed}]
    return result


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _model_lines(lock_path: Path) -> dict[str, int]:
    """Model id -> the line of its ``id = "..."`` in the lock (where a reviewer looks)."""
    lines: dict[str, int] = {}
    try:
        text = lock_path.read_text(encoding="utf-8")
    except OSError:
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("id = "):
            lines.setdefault(stripped[5:].strip().strip('"'), number)
    return lines
