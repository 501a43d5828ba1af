"""Recall and precision of ``scan`` over the whole corpus of realistic projects.

Each ``tests/corpus/<project>/`` holds a small project and ``expected.json`` listing every model
reference in it (``file``, ``line``, ``model``, ``hub``, ``revision``) and every loader site whose
model can't be known statically (``unresolved``: ``file``, ``line``). The expected lines are the
loading calls; a found reference sits where its model is written and names the loading calls in
its chain, so an expected (file, line, model) is found when a reference of that model sits there
or leads there. The gate is over the whole corpus, and a failure prints the per-project breakdown
with what was missed and what was extra.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from ptmlock.project_config import load_config
from ptmlock.scan import scan
from ptmlock.scan.python import project as python_project
from tests.helpers import record_calls

CORPUS = Path(__file__).parent / "corpus"
MIN_RECALL = 0.95
MIN_PRECISION = 0.98

Key = tuple[str, int, str | None]


@dataclass
class Outcome:
    project: str
    expected: set[Key] = field(default_factory=set)
    found: set[Key] = field(default_factory=set)
    wrong_details: list[str] = field(default_factory=list)

    @property
    def missed(self) -> set[Key]:
        return self.expected - self.found

    @property
    def extra(self) -> set[Key]:
        return self.found - self.expected

    def line(self) -> str:
        hits = len(self.expected & self.found)
        text = f"{self.project:<28} expected {len(self.expected):>3}  found {len(self.found):>3}"
        text += f"  hit {hits:>3}"
        for label, keys in (("missed", self.missed), ("extra", self.extra)):
            text += "".join(f"\n    {label}: {k[0]}:{k[1]} {k[2]}" for k in sorted(keys, key=str))
        return text


def projects() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def evaluate(project: Path, cache_dir: Path) -> Outcome:
    expected = json.loads((project / "expected.json").read_text(encoding="utf-8"))
    outcome = Outcome(project.name)
    details = {}
    for item in expected.get("references", []):
        key = (item["file"], item["line"], item["model"])
        outcome.expected.add(key)
        details[key] = (item.get("hub", "huggingface"), item.get("revision"))
    outcome.expected |= {(u["file"], u["line"], None) for u in expected.get("unresolved", [])}
    # scanned as a copy outside this repository: each project stands for one of its own, where
    # the files its .gitignore names are untracked (here git tracks them, so the scan would keep
    # them, as it keeps any tracked file)
    copy = cache_dir.parent / "projects" / project.name
    shutil.copytree(project, copy, symlinks=True, dirs_exist_ok=True)
    config = load_config(copy)
    config = replace(config, exclude=(*config.exclude, "/expected.json"))  # the answers
    result = scan(copy, config=config, cache_dir=cache_dir, jobs=1)
    for ref in result.references:
        places = {(ref.file, ref.line, ref.model)} | {
            (*_place(hop), ref.model) for hop in ref.chain
        }
        matching = places & outcome.expected
        key = min(matching) if matching else (ref.file, ref.line, ref.model)
        outcome.found |= matching or {key}
        if key in details and details[key] != (ref.hub, ref.revision):
            outcome.wrong_details.append(
                f"detail: {ref.location} {ref.model}: got hub/revision {(ref.hub, ref.revision)},"
                f" expected {details[key]}"
            )
    return outcome


def _place(hop: str) -> tuple[str, int]:
    """``file:line`` of a chain hop (``app.py:12 transformers.AutoModel.from_pretrained()``)."""
    where = hop.split(" ", 1)[0]
    file, _, line = where.rpartition(":")
    return file, int(line)


def test_corpus_recall_and_precision(tmp_path: Path) -> None:
    outcomes = [evaluate(project, tmp_path / "cache") for project in projects()]
    expected = sum(len(o.expected) for o in outcomes)
    found = sum(len(o.found) for o in outcomes)
    hits = sum(len(o.expected & o.found) for o in outcomes)
    recall = hits / expected if expected else 1.0
    precision = hits / found if found else 1.0
    report = "\n".join(o.line() for o in outcomes)
    summary = f"corpus: recall {recall:.3f} precision {precision:.3f} ({hits}/{expected}, {found})"
    if recall < MIN_RECALL or precision < MIN_PRECISION:
        pytest.fail(f"{summary}\n{report}")


def test_corpus_hub_and_revision_match(tmp_path: Path) -> None:
    """A found reference also carries the expected hub and revision (pins must survive)."""
    outcomes = [evaluate(project, tmp_path / "cache") for project in projects()]
    wrong = [detail for o in outcomes for detail in o.wrong_details]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("project", projects(), ids=lambda p: p.name)
def test_corpus_expected_file_is_well_formed(project: Path) -> None:
    expected = json.loads((project / "expected.json").read_text(encoding="utf-8"))
    assert set(expected) <= {"references", "unresolved"}
    for item in expected.get("references", []):
        assert (project / item["file"]).is_file() or item["file"] == "pyproject.toml", item
        assert isinstance(item["line"], int) and item["model"], item
    for item in expected.get("unresolved", []):
        assert (project / item["file"]).is_file(), item


def test_corpus_scans_the_same_when_every_summary_is_dropped_after_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The linker keeps a bounded set of summaries loaded (``project.Resident``): with room for
    one, every walk that comes back to a module loads it again, and finds the same."""
    kept = {}
    for project in projects():
        copy = tmp_path / project.name
        shutil.copytree(project, copy, symlinks=True)
        kept[project.name] = scan(copy, cache=False, jobs=1).references
    monkeypatch.setattr(python_project, "RESIDENT_BYTES", 1)
    unloaded = record_calls(monkeypatch, python_project.Module, "unload")
    for project in projects():
        assert scan(tmp_path / project.name, cache=False, jobs=1).references == kept[project.name]
    assert len(unloaded) >= 50  # the bound was in force
