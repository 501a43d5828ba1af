"""Notebooks: code cells as one module, lines mapped back to the .ipynb, shell magics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ptmlock.models import Reference
from ptmlock.scan.detectors.notebook import NotebookDetector
from tests.scan.helpers import scan_text


def detect(relpath: str, text: str) -> list[Reference]:
    return scan_text(relpath, text, dedent=False)


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
    refs = detect("nb/train.ipynb", text)
    assert [(r.line, r.model) for r in refs] == [
        (line_of(text, 'MODEL = \\"google-bert'), "google-bert/bert-base-uncased")
    ]
    assert refs[0].file == "nb/train.ipynb"
    loader = line_of(text, "AutoModel.from_pretrained(MODEL)")
    assert refs[0].chain[-1] == f"nb/train.ipynb:{loader} transformers.AutoModel.from_pretrained()"


def test_notebook_shell_magics_and_bash_cells() -> None:
    text = notebook(
        ("code", "!huggingface-cli download openai/whisper-small --local-dir w\n"),
        ("code", "%%bash\nhf download BAAI/bge-small-en-v1.5\n"),
    )
    refs = detect("demo.ipynb", text)
    assert [(r.line, r.model, r.api) for r in refs] == [
        (line_of(text, "openai/whisper-small"), "openai/whisper-small", "huggingface-cli download"),
        (line_of(text, "hf download BAAI"), "BAAI/bge-small-en-v1.5", "hf download"),
    ]


def test_notebook_a_broken_cell_does_not_hide_the_others() -> None:
    text = notebook(
        ("code", "model?\nfrom transformers import AutoModel\n"),
        ("code", "for x in (:\n"),
        ("code", 'm = AutoModel.from_pretrained("gpt2")\n'),
    )
    refs = detect("nb.ipynb", text)
    assert [(r.line, r.model) for r in refs] == [(line_of(text, '\\"gpt2\\"'), "gpt2")]


def test_notebook_single_string_sources() -> None:
    document = {
        "cells": [
            {
                "cell_type": "code",
                "source": "from transformers import AutoModel\n"
                "m = AutoModel.from_pretrained('gpt2')",
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    text = json.dumps(document, indent=1)
    [ref] = detect("nb.ipynb", text)  # lines of one string follow the string's line
    assert (ref.model, ref.line) == ("gpt2", line_of(text, '"source"') + 1)


def test_notebook_non_python_kernel_is_not_analysed() -> None:
    text = notebook(("code", "m <- from_pretrained('gpt2')\n"), language="R")
    assert detect("r.ipynb", text) == []


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"cells": 3}'])
def test_notebook_malformed_yields_nothing(text: str) -> None:
    assert detect("x.ipynb", text) == []


def test_notebook_handles() -> None:
    assert NotebookDetector().handles("a/b.ipynb")
    assert not NotebookDetector().handles("a/b.py")


def test_notebook_markdown_cells_are_read_as_a_readme_at_the_ipynb_lines() -> None:
    """A Markdown cell offering the sizes of the model the code loads: each size of that model
    line is listed (low confidence); a shortened name and a family wildcard are not models."""
    text = notebook(
        (
            "markdown",
            "# Demo\n"
            "Pick a model:\n"
            "1. facebook/magnet-small-10secs - 300M\n"
            "2. facebook/magnet-medium-30secs - 1.5B\n"
            "3. facebook/magnet-small - the family\n"
            "4. facebook/musicgen-small - another model line\n"
            "5. facebook/magnet-stereo- - all stereo sizes\n",
        ),
        ("code", "from audiocraft.models import MAGNeT\n"
                 "model = MAGNeT.get_pretrained('facebook/magnet-small-10secs')\n"),
    )  # fmt: skip
    refs = detect("demo.ipynb", text)
    docs = {(r.line, r.model, r.confidence) for r in refs if r.how == "doc"}
    assert docs == {
        (line_of(text, "magnet-small-10secs - 300M"), "facebook/magnet-small-10secs", "low"),
        (line_of(text, "magnet-medium-30secs"), "facebook/magnet-medium-30secs", "low"),
    }
