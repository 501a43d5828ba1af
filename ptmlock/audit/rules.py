"""The audit's rules: data, one row each, with ids that never change meaning.

An id (``PTM101``) is what a suppression names (``# ptmlock: ignore[PTM101]`` or
``[tool.ptmlock.audit] ignore``), what SARIF lists in ``tool.driver.rules``, and what CI logs
show; the name (``pickle-dangerous-import``) may be used in its place. A finding carries its own
severity (the licence rules are informational until a policy is set); ``severity`` here is the
default, which SARIF shows as the rule's level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "SEVERITIES", "Rule", "Severity", "at_least", "rule_for"]

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str  # one line: what the rule finds


RULES: tuple[Rule, ...] = (
    Rule(
        "PTM101",
        "pickle-dangerous-import",
        "critical",
        "a pickle imports a callable that runs commands or code (os.system, builtins.exec, ...)",
    ),
    Rule(
        "PTM102",
        "pickle-unknown-import",
        "high",
        "a pickle imports something outside the allow-list of tensor and container types",
    ),
    Rule(
        "PTM103",
        "pickle-library-class",
        "medium",
        "a pickle imports a class of a known ML library: loading needs weights_only=False",
    ),
    Rule(
        "PTM104",
        "pickle-unscannable",
        "medium",
        "a pickle-based file is malformed (not a pickle, truncated, over a scan limit)",
    ),
    Rule(
        "PTM105",
        "file-not-scanned",
        "high",
        "a locked pickle-based file is not installed or does not match the lock",
    ),
    Rule(
        "PTM106",
        "pickle-over-safetensors",
        "medium",
        "the lock selects a pickle although the repo offers safetensors for the same weights",
    ),
    Rule(
        "PTM201",
        "remote-code-unpinned",
        "high",
        "trust_remote_code=True runs code files that the lock does not pin",
    ),
    Rule(
        "PTM202",
        "remote-code-pinned",
        "low",
        "trust_remote_code=True runs code files; all of them are pinned in the lock",
    ),
    Rule(
        "PTM203",
        "hardcoded-token",
        "high",
        "a Hugging Face token or API key is written in a project file",
    ),
    Rule(
        "PTM204",
        "unpinned-in-code",
        "info",
        "a loader call has no revision= and relies on the lock for its pin",
    ),
    Rule(
        "PTM301",
        "license-not-allowed",
        "high",
        "a model's licence is not in [tool.ptmlock] allowed-licenses",
    ),
    Rule("PTM302", "license-missing", "info", "a model declares no licence"),
    Rule("PTM303", "gated-model", "info", "a model is gated: its terms are accepted per user"),
    Rule(
        "PTM401",
        "signature-invalid",
        "critical",
        "a model signature does not verify against the locked files",
    ),
    Rule(
        "PTM402",
        "signature-missing",
        "high",
        "a model of an organisation that must sign is unsigned or cannot be verified",
    ),
)
_BY_KEY = {r.id: r for r in RULES} | {r.name: r for r in RULES}


def rule_for(key: str) -> Rule | None:
    """The rule with this id or name (``PTM101`` or ``pickle-dangerous-import``)."""
    return _BY_KEY.get(key.strip())


def at_least(severity: Severity, threshold: Severity) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)
