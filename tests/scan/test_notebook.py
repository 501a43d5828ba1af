"""Notebooks: code cells as one module, lines mapped back to the .ipynb, shell magics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ptmlock.models import Reference
from ptmlock.scan.detectors import notebook as notebook_module
from ptmlock.scan.detectors.interface import ProjectContext
from ptmlock.scan.detectors.notebook import NotebookDetector

CONTEXT = ProjectContext(root=Path("/project"))


def fake_analyze(relpath: str, text: str, context: ProjectContext) -> list[Reference]:
    """Stands in for the Python analysis: ``from_pretrained(NAME)`` with ``NAME = "<id>"``."""
    constants = dict(re.findall(r"""^(\w+) = ["']([^"']+)["']""", text, re.MULTILINE))
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"""from_pretrained\((["']?)([\w/.-]+)\1""", line):
            model = match.group(2) if match.group(1) else constants.get(match.group(2))
            found.append(
                Reference(file=relpath, line=number, hub="huggingface", model=model, api="fake")
            )
    return found


@pytest.fixture(autouse=True)
def _fake_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook_module, "analyze_python", fake_analyze)


def notebook(*cells: tuple[str, str], language: str = "python") -> str:
    """An nbformat 4 notebook written the way Jupyter writes it (indent=1, one line per string)."""
    document: dict[str, Any] = {
        "cells": [
            {
                "cell_type": kind,
                "metadata": {},
                "source": source.splitlines(keepends=True),
                **({"execution_count": None, "outputs": []} if kind == "code" else {}),
            }
            for kind, source in cells
        ],
        "metadata": {"kernelspec": {"language": language, "name": "k", "display_name": "K"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_notebook_constants_cross_cells_and_lines_point_into_the_ipynb() -> None:
    text = notebook(
        ("markdown", "# Fine-tune\nWe use `from_pretrained(\"not/this\")`.\n"),
        ("code", "!pip install transformers\nMODEL = \"google-bert/bert-base-uncased\"\n"),
        ("code", "%matplotlib inline\nfrom transformers import AutoModel\n"
                 "model = AutoModel.from_pretrained(MODEL)\n"),
    )  # fmt: skip
    refs = NotebookDetector().detect("nb/train.ipynb", text, CONTEXT)
    assert [(r.line, r.model) for r in refs] == [
        (line_of(text, "AutoModel.from_pretrained(MODEL)"), "google-bert/bert-base-uncased")
    ]
    assert refs[0].file == "nb/train.ipynb"


def test_notebook_shell_magics_and_bash_cells() -> None:
    text = notebook(
        ("code", "!huggingface-cli download openai/whisper-small --local-dir w\n"),
        ("code", "%%bash\nhf download BAAI/bge-small-en-v1.5\n"),
    )
    refs = NotebookDetector().detect("demo.ipynb", text, CONTEXT)
    assert [(r.line, r.model, r.api) for r in refs] == [
        (line_of(text, "openai/whisper-small"), "openai/whisper-small", "huggingface-cli download"),
        (line_of(text, "hf download BAAI"), "BAAI/bge-small-en-v1.5", "hf download"),
    ]


def test_notebook_a_broken_cell_does_not_hide_the_others() -> None:
    text = notebook(
        ("code", "model?\n"),
        ("code", "for x in (:\n"),
        ("code", 'm = AutoModel.from_pretrained("gpt2")\n'),
    )
    refs = NotebookDetector().detect("nb.ipynb", text, CONTEXT)
    assert [(r.line, r.model) for r in refs] == [(line_of(text, '\\"gpt2\\"'), "gpt2")]


def test_notebook_single_string_sources() -> None:
    document = {
        "cells": [{"cell_type": "code", "source": "x = 1\nm = AutoModel.from_pretrained('gpt2')"}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    text = json.dumps(document, indent=1)
    [ref] = NotebookDetector().detect("nb.ipynb", text, CONTEXT)
    assert (ref.model, ref.line) == ("gpt2", line_of(text, '"source"'))


def test_notebook_non_python_kernel_is_not_analysed() -> None:
    text = notebook(("code", "m <- from_pretrained('gpt2')\n"), language="R")
    assert NotebookDetector().detect("r.ipynb", text, CONTEXT) == []


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"cells": 3}'])
def test_notebook_malformed_yields_nothing(text: str) -> None:
    assert NotebookDetector().detect("x.ipynb", text, CONTEXT) == []


def test_notebook_handles() -> None:
    assert NotebookDetector().handles("a/b.ipynb")
    assert not NotebookDetector().handles("a/b.py")
