"""Hard-coded credentials in project files: the shapes, as data, and a redacting scanner.

Only a prefix of a match is ever shown (``hf_AbCd…``): a report must not leak what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["TOKEN_SHAPES", "TokenHit", "find_tokens", "redact"]

# what -> pattern; each pattern matches the whole secret
TOKEN_SHAPES: dict[str, str] = {
    "Hugging Face token": r"hf_[A-Za-z0-9]{34,40}",
    "OpenAI API key": r"sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
    r"|sk-(?:proj-|svcacct-)[A-Za-z0-9_-]{40,}",
    "Anthropic API key": r"sk-ant-[A-Za-z0-9_-]{32,}",
    "GitHub token": r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,}",
    "AWS access key id": r"(?:AKIA|ASIA)[0-9A-Z]{16}",
    "Google API key": r"AIza[0-9A-Za-z_-]{35}",
    "Slack token": r"xox[abprs]-[A-Za-z0-9-]{10,}",
    "Replicate token": r"r8_[A-Za-z0-9]{37}",
    "Weights & Biases key": r"(?<=WANDB_API_KEY=)[0-9a-f]{40}",
}
_PATTERN = re.compile(
    "|".join(f"(?P<g{i}>(?<![A-Za-z0-9_]){p})" for i, p in enumerate(TOKEN_SHAPES.values()))
)
_NAMES = list(TOKEN_SHAPES)
# a body made of one repeated character, or one that starts with a word nobody's secret starts
# with, is documentation: "hf_xxxxxxxx...", "sk-proj-your-key-here..."
_PLACEHOLDER = re.compile(r"^(?:(.)\1{7,}|your|dummy|example|fake|placeholder|redacted|changeme)")


@dataclass(frozen=True, slots=True)
class TokenHit:
    kind: str
    line: int
    redacted: str


def redact(secret: str) -> str:
    keep = min(8, max(3, len(secret) // 6))
    return secret[:keep] + "…"


def find_tokens(text: str) -> Iterator[TokenHit]:
    """Every credential-shaped string in ``text`` (obvious placeholders left out)."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _PATTERN.finditer(line):
            secret = match.group(0)
            body = re.split(r"[_-]", secret, maxsplit=1)[-1].lower()
            if _PLACEHOLDER.match(body):
                continue
            group = next(i for i, g in enumerate(match.groups()) if g is not None)
            yield TokenHit(kind=_NAMES[group], line=number, redacted=redact(secret))
