"""Silent losses: what the scanner cannot read or follow is reported, never dropped."""

from __future__ import annotations

from pathlib import Path

from ptmlock.scan import scan

LOAD = "from transformers import AutoModel\nAutoModel.from_pretrained({})\n"


def test_what_the_scanner_cannot_follow_is_reported_with_the_reason(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "elsewhere.py"
    project.mkdir()
    outside.write_text(LOAD.format('"evil/outside"'))
    (project / "cycle.py").write_text("a = b\nb = a\n" + LOAD.format("a"))
    (project / "broken.py").write_text(LOAD.format('"org/broken"') + "def (:\n")
    (project / "linked.py").symlink_to(outside)
    (project / "inside.py").symlink_to("cycle.py")  # a link that stays inside is read
    result = scan(project, cache=False)
    unresolved = [r for r in result.references if r.model is None]
    assert {r.file for r in unresolved} == {"cycle.py", "inside.py"}
    assert all(r.reason is not None and "a cycle" in r.reason for r in unresolved)
    assert "evil/outside" not in {r.model for r in result.references}
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["linked.py"] == "a symlink to outside the project"
    assert reasons["broken.py"].startswith("not valid Python (line 3")
