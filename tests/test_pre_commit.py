"""The hooks in .pre-commit-hooks.yaml, run by the real ``pre-commit`` tool on a sample repo.

pre-commit installs a ``language: python`` hook from its git repo with pip, which needs the
network; here the sample repo's config is ``repo: local`` with the published hooks' own
entries and ``language: system`` (ptmlock already on PATH), so the run stays on this machine
and exercises exactly the commands the published hooks run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ptmlock.cli import main
from ptmlock.mirror import RepoStore
from tests.conftest import HfEnv
from tests.helpers import model_card, safetensors_bytes

ROOT = Path(__file__).parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
CODE = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/m", revision="main")\n'


def _pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env |= {"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [str(BIN / "pre-commit"), *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_hooks_manifest_is_valid_for_pre_commit(tmp_path: Path) -> None:
    result = _pre_commit(ROOT, tmp_path, "validate-manifest", str(HOOKS))
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [hook["id"] for hook in yaml.safe_load(HOOKS.read_text())]
    assert ids == ["ptmlock-check", "ptmlock-audit"]


@pytest.fixture
def sample(tmp_path: Path, store: RepoStore, hf_env: HfEnv) -> Path:
    store.commit(
        "org/m",
        {
            "README.md": model_card(license="mit"),
            "config.json": b'{"model_type": "bert"}',
            "model.safetensors": safetensors_bytes(),
        },
    )
    store.commit("org/other", {"config.json": b"{}", "model.safetensors": safetensors_bytes()})
    repo = tmp_path / "sample"
    repo.mkdir()
    (repo / "app.py").write_text(CODE)
    assert main(["scan", str(repo)]) == 0
    assert main(["install", "--lock", str(repo / "ptm.lock"), "--quiet"]) == 0
    hooks = yaml.safe_load(HOOKS.read_text())
    local = [hook | {"language": "system"} for hook in hooks]
    config = {"repos": [{"repo": "local", "hooks": local}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    return repo


def test_pre_commit_hooks_pass_then_fail_on_drift_and_on_a_token(
    sample: Path, tmp_path: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    passed = _pre_commit(sample, home, "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert (
        "ptmlock check (ptm.lock matches the code)" in passed.stdout and "Passed" in passed.stdout
    )
    # drift: the code loads a model the lock does not have
    (sample / "app.py").write_text(
        CODE + 'AutoModel.from_pretrained("org/other", revision="main")\n'
    )
    _git(sample, "add", ".")
    drifted = _pre_commit(sample, home, "run", "ptmlock-check", "--all-files")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "org/other" in drifted.stdout and "out of date: run ptmlock scan" in drifted.stdout
    # the audit hook fails on a hard-coded token
    (sample / "app.py").write_text(CODE + 'TOKEN = "hf_' + 'Q7bVZk2LmPq9RtW4sXy8NdFg3HjK6aCeUo"\n')
    _git(sample, "add", ".")
    leaked = _pre_commit(sample, home, "run", "ptmlock-audit", "--all-files")
    assert leaked.returncode == 1 and "PTM203" in leaked.stdout, leaked.stdout
