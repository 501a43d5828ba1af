"""The audit's part of ``[tool.ptmlock]`` in pyproject.toml::

[tool.ptmlock]
allowed-licenses = ["apache-2.0", "mit"]   # licence policy (absent: licences are only info)

[tool.ptmlock.audit]
fail-on = "high"                            # default threshold for `ptmlock audit`
ignore = [                                  # every suppression says why
  { rule = "PTM106", model = "org/name", reason = "the safetensors export is broken" },
  { rule = "PTM203", file = "docs/example.py", reason = "a revoked example token" },
]

[tool.ptmlock.signatures.my-org]            # models of my-org must carry a valid signature
require = true
public-key = "keys/my-org.pub"              # or certificate-chain = [...], or
                                            # identity = "...", oidc-issuer = "..." (Sigstore)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, cast

from ptmlock.audit.rules import SEVERITIES, Severity, rule_for
from ptmlock.errors import ConfigError
from ptmlock.project_config import expect_table, reject_unknown, string_list

__all__ = ["AuditPolicy", "SignerPolicy", "Suppression", "load_policy", "parse_policy"]

_AUDIT_KEYS = frozenset({"fail-on", "ignore"})
_IGNORE_KEYS = frozenset({"rule", "model", "file", "reason"})
_SIGNER_KEYS = frozenset({"require", "public-key", "certificate-chain", "identity", "oidc-issuer"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Suppression:
    rule: str  # a rule id (names are turned into ids)
    reason: str
    model: str | None = None
    file: str | None = None  # a model's file, or a project file


@dataclass(frozen=True, kw_only=True, slots=True)
class SignerPolicy:
    """How to verify one organisation's signatures, and whether they are required."""

    org: str
    require: bool = False
    public_key: Path | None = None
    certificate_chain: tuple[Path, ...] = ()
    identity: str | None = None
    oidc_issuer: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditPolicy:
    allowed_licenses: tuple[str, ...] | None = None  # None: no policy
    fail_on: Severity = "high"
    ignore: tuple[Suppression, ...] = ()
    signers: dict[str, SignerPolicy] = field(default_factory=dict)


def load_policy(root: Path) -> AuditPolicy:
    """The policy in ``root/pyproject.toml`` (no file or no table: the defaults)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return AuditPolicy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"pyproject.toml: not valid TOML ({error})") from error
    return parse_policy(data.get("tool", {}).get("ptmlock", {}), base=root)


def parse_policy(table: dict[str, Any], *, base: Path) -> AuditPolicy:
    licences = table.get("allowed-licenses")
    if licences is not None:
        licences = tuple(v.lower() for v in _strings(licences, "allowed-licenses"))
    audit = _table(table.get("audit", {}), "audit", _AUDIT_KEYS)
    fail_on = audit.get("fail-on", "high")
    if fail_on not in SEVERITIES:
        _fail("audit.fail-on", f"expected one of {', '.join(SEVERITIES)}")
    ignore = audit.get("ignore", [])
    if not isinstance(ignore, list):
        _fail("audit.ignore", "expected an array of tables")
    signers = _table(table.get("signatures", {}), "signatures", None)
    return AuditPolicy(
        allowed_licenses=licences,
        fail_on=cast(Severity, fail_on),
        ignore=tuple(_suppression(item, f"audit.ignore[{i}]") for i, item in enumerate(ignore)),
        signers={org: _signer(org, value, base) for org, value in signers.items()},
    )


def _suppression(item: object, where: str) -> Suppression:
    entry = _table(item, where, _IGNORE_KEYS)
    rule = rule_for(str(entry.get("rule", "")))
    if rule is None:
        _fail(f"{where}.rule", "required: a rule id (PTM101) or name (pickle-dangerous-import)")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        _fail(f"{where}.reason", "required: say why the finding is accepted")
    for key in ("model", "file"):
        if key in entry and not isinstance(entry[key], str):
            _fail(f"{where}.{key}", "expected a string")
    return Suppression(
        rule=rule.id, reason=reason, model=entry.get("model"), file=entry.get("file")
    )


def _signer(org: str, value: object, base: Path) -> SignerPolicy:
    where = f"signatures.{org}"
    entry = _table(value, where, _SIGNER_KEYS)
    require = entry.get("require", False)
    if not isinstance(require, bool):
        _fail(f"{where}.require", "expected true or false")
    key = entry.get("public-key")
    if key is not None and not isinstance(key, str):
        _fail(f"{where}.public-key", "expected a path")
    chain = _strings(entry.get("certificate-chain", []), f"{where}.certificate-chain")
    identity, issuer = entry.get("identity"), entry.get("oidc-issuer")
    if (identity is None) != (issuer is None):
        _fail(where, "identity and oidc-issuer go together (Sigstore keyless signing)")
    return SignerPolicy(
        org=org,
        require=require,
        public_key=base / key if key else None,
        certificate_chain=tuple(base / c for c in chain),
        identity=identity,
        oidc_issuer=issuer,
    )


_HINT = "see the audit section of the ptmlock README"


def _table(value: object, where: str, known: frozenset[str] | None) -> dict[str, Any]:
    table = expect_table(value, f"tool.ptmlock.{where}", _HINT)
    if known is not None:
        reject_unknown(table, known, f"tool.ptmlock.{where}", _HINT)
    return table


def _strings(value: object, where: str) -> tuple[str, ...]:
    return string_list(value, f"tool.ptmlock.{where}", _HINT)


def _fail(where: str, problem: str) -> NoReturn:
    raise ConfigError(f"pyproject.toml: tool.ptmlock.{where}: {problem}", hint=_HINT)
