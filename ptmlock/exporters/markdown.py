"""``markdown``: a "Models used" table for a README, release notes or a pull-request comment.

One row per locked model, sorted by hub then id so the table diffs well: the model linked to its
page, the pinned revision (short, linked to the pinned tree, the full commit in the link title),
the licence, the installed size, the parameter count and where the project uses it. Nothing in it
depends on the time, so the same lock always gives the same bytes.
"""

from __future__ import annotations

from cyclonedx.spdx import fixup_id

from ptmlock.errors import ConfigError
from ptmlock.exporters._common import human_size, model_name, page_url, vcs_url, with_endpoints
from ptmlock.exporters.interface import Exporter, ExportOptions
from ptmlock.models import Lock, LockedModel

__all__ = ["MarkdownExporter", "human_count"]

_HEADER = ("Model", "Revision", "Licence", "Size", "Parameters", "Used in")


def human_count(value: int | None) -> str:
    """A parameter count the way model cards say it: ``66.96M``, ``1.24B``; ``-`` when unknown."""
    if value is None:
        return "-"
    for threshold, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if value >= threshold:
            return f"{value / threshold:.2f}{suffix}"
    return str(value)


def _cell(text: str) -> str:
    """Table-safe text: pipes escaped, line breaks flattened."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _link(text: str, url: str, title: str | None = None) -> str:
    target = url.replace(" ", "%20").replace(")", "%29")
    suffix = f' "{title}"' if title else ""
    label = _cell(text).replace("[", "\\[").replace("]", "\\]")
    return f"[{label}]({target}{suffix})"


def _model_cell(model: LockedModel) -> str:
    home = vcs_url(model) or page_url(model)
    cell = _link(model_name(model), home)
    return f"{cell} (gated)" if model.gated else cell


def _revision_cell(model: LockedModel) -> str:
    short = model.revision[:7] if model.hub != "url" else f"sha256:{model.revision[:12]}"
    return _link(short, page_url(model), model.revision)


def _row(model: LockedModel) -> tuple[str, ...]:
    return (
        _model_cell(model),
        _revision_cell(model),
        _cell(fixup_id(model.license) or model.license) if model.license else "unknown",
        human_size(model.total_size),
        human_count(model.parameters),
        _cell(", ".join(f"`{u}`" for u in model.used_by)) if model.used_by else "-",
    )


def render(lock: Lock) -> str:
    """The Markdown text for ``lock``."""
    models = sorted(lock.models, key=lambda m: m.key)
    total = human_size(sum(m.total_size for m in models))
    count = f"{len(models)} model{'' if len(models) == 1 else 's'}"
    lines = [
        "## Models used",
        "",
        f"{count}, {total} in total, pinned by ptm.lock.",
        "",
        "| " + " | ".join(_HEADER) + " |",
        "| " + " | ".join("---" for _ in _HEADER) + " |",
    ]
    lines += ["| " + " | ".join(_row(m)) + " |" for m in models]
    return "\n".join(lines) + "\n"


class MarkdownExporter(Exporter):
    """A human-readable table of the locked models."""

    name = "markdown"
    media_type = "text/markdown"
    default_suffix = ".md"

    def export(self, lock: Lock, options: ExportOptions) -> bytes:
        if options.merge is not None:
            raise ConfigError("markdown can't --merge", hint="paste the table where you need it")
        if options.spec_version is not None:
            raise ConfigError("markdown has no spec versions", hint="drop --spec-version")
        return render(with_endpoints(lock, options.endpoint)).encode()
