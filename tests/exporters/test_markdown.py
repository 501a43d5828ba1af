"""The Markdown "Models used" table: one row per model, cell by cell."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ptmlock.errors import ConfigError
from ptmlock.exporters import get_exporter
from ptmlock.exporters.interface import ExportOptions
from ptmlock.exporters.markdown import human_count
from ptmlock.models import Lock

from .locks import FINETUNED, GATED, LEGACY, NO_LICENSE, TORCH_HUB, URL_MODEL, full_lock


def table(lock: Lock, endpoint: str = "https://huggingface.co") -> list[list[str]]:
    text = get_exporter("markdown").export(lock, ExportOptions(endpoint=endpoint)).decode()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in row.strip("|").split(" | ")] for row in rows[2:]]


def test_markdown_header_and_summary() -> None:
    text = get_exporter("markdown").export(full_lock(), ExportOptions()).decode()
    lines = text.splitlines()
    assert lines[0] == "## Models used"
    assert lines[2] == "6 models, 3.1 GiB in total, pinned by ptm.lock."
    assert lines[4] == "| Model | Revision | Licence | Size | Parameters | Used in |"


def test_markdown_finetuned_row() -> None:
    ((model, revision, licence, size, params, used),) = table(Lock(models=(FINETUNED,)))
    page = f"https://huggingface.co/{FINETUNED.id}"
    assert model == f"[{FINETUNED.id}]({page})"
    assert revision == f'[714eb0f]({page}/tree/{FINETUNED.revision} "{FINETUNED.revision}")'
    assert licence == "Apache-2.0"
    assert size == "255.4 MiB"
    assert params == "66.96M"
    assert used == "`src/sentiment/app.py:14`, `notebooks/explore.ipynb:3`"


def test_markdown_gated_unlicensed_and_unused() -> None:
    quiet = replace(NO_LICENSE, used_by=())
    rows = {r[0]: r for r in table(Lock(models=(GATED, quiet)))}
    gated = rows[f"[{GATED.id}](https://huggingface.co/{GATED.id}) (gated)"]
    assert (gated[2], gated[3], gated[4]) == ("llama3.2", "2.3 GiB", "1.24B")
    unlicensed = rows[f"[{NO_LICENSE.id}](https://huggingface.co/{NO_LICENSE.id})"]
    assert (unlicensed[2], unlicensed[3], unlicensed[4], unlicensed[5]) == (
        "unknown",
        "12 B",
        "-",
        "-",
    )


def test_markdown_other_hubs_and_endpoint() -> None:
    rows = table(Lock(models=(TORCH_HUB, URL_MODEL, LEGACY)), endpoint="http://127.0.0.1:8080")
    assert [r[0] for r in rows] == [
        "[gpt2](http://127.0.0.1:8080/gpt2)",
        "[pytorch/vision:v0.10.0](https://github.com/pytorch/vision)",
        f"[yolov8n.pt]({URL_MODEL.files[0].url})",
    ]
    assert rows[2][1].startswith("[sha256:f59b3d833e2f](")


def test_markdown_escapes_pipes() -> None:
    odd = replace(NO_LICENSE, license="custom | weird", used_by=("a|b.py:1",))
    ((_, _, licence, _, _, used),) = table(Lock(models=(odd,)))
    assert licence == "custom \\| weird"
    assert used == "`a\\|b.py:1`"


def test_markdown_is_deterministic_and_sorted() -> None:
    shuffled = Lock(models=tuple(reversed(full_lock().models)))
    exporter = get_exporter("markdown")
    assert exporter.export(shuffled, ExportOptions()) == exporter.export(
        full_lock(), ExportOptions()
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (950, "950"), (66955010, "66.96M"), (1235814400, "1.24B"), (7_000, "7.00K")],
)
def test_human_count(value: int | None, text: str) -> None:
    assert human_count(value) == text


def test_markdown_rejects_merge() -> None:
    with pytest.raises(ConfigError, match="merge"):
        get_exporter("markdown").export(Lock(), ExportOptions(merge=b""))
