"""Rules over the locked models themselves: pickle code, pickle chosen over safetensors,
licence policy. Each takes plain values (a locked model, a path on disk, a file list) and
returns findings; where the bytes come from is the engine's business."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from pathlib import Path

from ptmlock.audit.findings import Finding, ScannedFile
from ptmlock.audit.pickle_files import FileScan, scan_file
from ptmlock.audit.pickle_policy import classify
from ptmlock.audit.policy import AuditPolicy
from ptmlock.models import LockedFile, LockedModel

__all__ = ["licence_findings", "pickle_findings", "safetensors_findings"]

_VERDICT_RULE = {
    "dangerous": ("PTM101", "critical"),
    "unknown": ("PTM102", "high"),
    "library": ("PTM103", "medium"),
}
_FIX = {
    "PTM101": "do not load this file; use the publisher's safetensors weights or another model",
    "PTM102": "check what the import does; prefer safetensors, or torch.load(weights_only=True)",
    "PTM103": "prefer safetensors weights, or a state_dict loaded with weights_only=True",
}
_WEIGHT_PICKLE = re.compile(r"(pytorch_model|model|diffusion_pytorch_model|adapter_model)")


def pickle_findings(
    model: LockedModel, file: LockedFile, path: Path
) -> tuple[ScannedFile, list[Finding]]:
    """Scan one installed pickle-based file; one finding per distinct import that is not safe."""
    scan = scan_file(path)
    findings: list[Finding] = []
    seen: set[tuple[str | None, str]] = set()
    for found in scan.imports:
        verdict = classify(found.item.module, found.item.name)
        key = (found.member, found.item.dotted)
        if verdict == "safe" or key in seen:
            continue
        seen.add(key)
        rule, severity = _VERDICT_RULE[verdict]
        what = (
            f"imports {found.item.dotted}"
            if found.item.module is not None
            else f"hides an import ({found.item.opcode} whose operands are not plain strings)"
        )
        findings.append(
            Finding(
                rule=rule,
                severity=severity,  # type: ignore[arg-type]
                message=f"pickle {what} (byte {found.item.offset})",
                fix=_FIX[rule],
                model=model.id,
                file=file.path,
                member=found.member,
            )
        )
    findings += _problems(model, file, scan)
    status = "unscannable" if scan.problems else "scanned"
    record = ScannedFile(
        model=model.id,
        file=file.path,
        status=status,
        format=scan.format,
        pickles=scan.pickles,
        imports=len(scan.imports),
        detail="; ".join(scan.problems) or None,
    )
    return record, findings


def _problems(model: LockedModel, file: LockedFile, scan: FileScan) -> list[Finding]:
    return [
        Finding(
            rule="PTM104",
            severity="medium",
            message=f"could not be scanned whole ({scan.format}): {problem}",
            fix="torch.load would reject these bytes too; ask the publisher or drop the file",
            model=model.id,
            file=file.path,
        )
        for problem in scan.problems
    ]


def safetensors_findings(model: LockedModel, repo_files: Sequence[str]) -> list[Finding]:
    """The lock selects a pickle of weights the repo also has as safetensors (same folder)."""
    locked = {f.path for f in model.files}
    findings = []
    for file in model.files:
        if not file.path.endswith((".bin", ".pt", ".pth", ".ckpt")):
            continue
        folder, name = posixpath.split(file.path)
        if not _WEIGHT_PICKLE.match(name):
            continue
        offered = [
            p
            for p in repo_files
            if p.endswith(".safetensors") and posixpath.dirname(p) == folder and p not in locked
        ]
        if offered:
            findings.append(
                Finding(
                    rule="PTM106",
                    severity="medium",
                    message=f"the repo at {model.revision[:12]} offers {', '.join(offered[:3])}"
                    " for these weights, but the lock selects the pickle",
                    fix=f'lock the safetensors: patterns = ["*.safetensors", "*.json"] for '
                    f"{model.id} in [[tool.ptmlock.models]], then ptmlock scan",
                    model=model.id,
                    file=file.path,
                )
            )
    return findings


def licence_findings(model: LockedModel, policy: AuditPolicy) -> list[Finding]:
    allowed = policy.allowed_licenses
    findings = []
    licence = (model.license or "").lower()
    if not licence:
        findings.append(
            Finding(
                rule="PTM302",
                severity="high" if allowed is not None else "info",
                message="no licence in the model card or the repo",
                fix="ask the publisher for a licence, or record an accepted risk in audit.ignore",
                model=model.id,
            )
        )
    elif allowed is not None and licence not in allowed:
        findings.append(
            Finding(
                rule="PTM301",
                severity="high",
                message=f"licence {model.license!r} is not in allowed-licenses",
                fix=f"replace the model, or add {licence!r} to [tool.ptmlock] allowed-licenses",
                model=model.id,
            )
        )
    if model.gated:
        findings.append(
            Finding(
                rule="PTM303",
                severity="medium" if allowed is not None else "info",
                message="gated: every user accepts the terms on the hub; CI needs a token",
                fix="record who accepted the terms; give CI an HF_TOKEN with read access",
                model=model.id,
            )
        )
    return findings
