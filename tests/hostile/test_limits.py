"""The limits are named, documented where users look, and overridable where they say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.limits import LIMITS, STALL_SECONDS, Limit

ROOT = Path(__file__).resolve().parents[2]


def _shown(default: int, unit: str) -> str:
    if unit == "bytes":
        return f"{default >> 20} MiB"
    return f"{default} s" if unit == "seconds" else str(default)


@pytest.mark.parametrize("limit", LIMITS, ids=[limit.name for limit in LIMITS])
def test_every_limit_is_in_security_md_with_its_default_and_override(limit: Limit) -> None:
    rows = [
        line for line in (ROOT / "SECURITY.md").read_text().splitlines() if line.startswith("|")
    ]
    row = next(r for r in rows if f"| {_shown(limit.default, limit.unit)} |" in r and (
        limit.env is None or f"`{limit.env}`" in r))  # fmt: skip
    assert limit.env is None or f"`{limit.env}`" in (ROOT / "README.md").read_text(), row


def test_a_bad_override_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTMLOCK_STALL_SECONDS", "soon")
    with pytest.raises(errors.ConfigError, match="PTMLOCK_STALL_SECONDS='soon'"):
        _ = STALL_SECONDS.value
    monkeypatch.setenv("PTMLOCK_STALL_SECONDS", "5")
    assert STALL_SECONDS.value == 5
