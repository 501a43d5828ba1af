"""``ptmlock outdated`` against the project's Hub server, and ``scan --upgrade-model``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmlock.cli import main
from ptmlock.lockfile import read_lock
from ptmlock.mirror import RepoStore
from tests.conftest import HfEnv
from tests.helpers import model_card, safetensors_bytes

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "outdated.schema.json").read_text())
CODE = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/m")\n'


def _files(**extra: bytes) -> dict[str, bytes]:
    return {
        "README.md": model_card(license="mit"),
        "config.json": b'{"model_type": "bert"}',
        "model.safetensors": safetensors_bytes(),
    } | extra


def _outdated(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, Any]:
    code = main(["outdated", "--lock", str(root / "ptm.lock"), "--format", "json", *extra])
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    return code, data


@pytest.fixture
def root(
    tmp_path: Path, store: RepoStore, hf_env: HfEnv, capsys: pytest.CaptureFixture[str]
) -> Path:
    store.commit("org/m", _files(), message="first")
    project = tmp_path / "app"
    project.mkdir()
    (project / "app.py").write_text(CODE)
    assert main(["scan", str(project)]) == 0
    capsys.readouterr()
    return project


def test_outdated_current_then_behind_after_a_new_commit_on_main(
    root: Path, store: RepoStore, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = read_lock(root / "ptm.lock").models[0].revision
    code, data = _outdated(capsys, root, "--exit-code")
    assert code == 0 and data["models"][0]["status"] == "current"
    bigger = safetensors_bytes({"w": ("F32", [16, 16])})
    head = store.commit(
        "org/m", _files(**{"model.safetensors": bigger, "tokenizer.json": b"{}"}), message="v2"
    )
    code, data = _outdated(capsys, root)
    assert code == 0  # a report, not a gate
    [model] = data["models"]
    assert (model["status"], model["locked"], model["latest"]) == ("behind", locked, head)
    assert model["commits_behind"] == 1 and model["latest_date"].startswith("2024-01-01")
    changes = {c["path"]: c for c in model["changes"]}
    assert changes["model.safetensors"]["change"] == "changed"
    assert changes["model.safetensors"]["new_size"] == len(bigger)
    assert changes["tokenizer.json"]["change"] == "added"
    assert "config.json" not in changes
    assert _outdated(capsys, root, "--exit-code")[0] == 1
    main(["outdated", "--lock", str(root / "ptm.lock")])
    table = capsys.readouterr().out
    assert f"org/m (main): behind 1 commit(s) {locked[:12]} -> {head[:12]}" in table
    assert "~ model.safetensors" in table and "+ tokenizer.json" in table
    # the pin moves only when asked, for one model
    assert main(["scan", str(root), "--upgrade-model", "org/m"]) == 0
    capsys.readouterr()
    assert read_lock(root / "ptm.lock").models[0].revision == head
    assert _outdated(capsys, root, "--exit-code")[1]["models"][0]["status"] == "current"


def test_outdated_is_loud_when_history_is_rewritten(
    root: Path, store: RepoStore, capsys: pytest.CaptureFixture[str]
) -> None:
    rewritten = store.commit("org/m", _files(**{"new.json": b"{}"}), branch="rewrite")
    store.set_branch("org/m", "main", rewritten)  # a force-push: the locked commit is orphaned
    code, data = _outdated(capsys, root, "--exit-code")
    assert code == 1 and data["models"][0]["status"] == "unreachable"
    assert "next fresh install will fail" in data["models"][0]["detail"]
    main(["outdated", "--lock", str(root / "ptm.lock")])
    assert capsys.readouterr().out.startswith("!! org/m (main): UNREACHABLE")


def test_outdated_says_gone_for_a_deleted_repo(
    root: Path, store: RepoStore, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(store.root / "repos" / "org" / "m")
    code, data = _outdated(capsys, root)
    assert code == 0 and data["models"][0]["status"] == "gone"
