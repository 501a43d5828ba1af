"""Crashes turned into one-line errors or reported skips: bad input never ends in a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import install
from ptmlock.lockfile import dumps_lock
from ptmlock.models import Lock
from ptmlock.retry import RetryPolicy
from ptmlock.scan import scan
from ptmlock.verify import verify
from tests.hostile.hubs import hub_script, locked_readme
from tests.hostile.servers import ScriptedServer

ONCE = RetryPolicy(attempts=1)
LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'


def _lock_text(**changes: str) -> str:
    """A valid lock of one model with TOML keys of the model set (``id='"../x"'``)."""
    lines = dumps_lock(Lock(models=(locked_readme(),))).splitlines()
    for key, value in changes.items():
        at = next(i for i, line in enumerate(lines) if line.startswith("revision = "))
        lines = [line for line in lines if not line.startswith(f"{key} = ")]
        lines.insert(at, f"{key} = {value}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("command", "changes", "named"),
    [
        ("install", {"id": '"../../etc"'}, "model[0].id"),
        ("install", {"id": '"/x"'}, "model[0].id"),
        ("install", {"id": '"org/a\\u0000b"'}, "model[0].id"),
        ("install", {"id": '"org--x/y"'}, "model[0].id"),
        ("export", {"license": '"mit\\u0000"'}, "model[0].license"),
    ],
    ids=["dot-dot id", "absolute id", "NUL in id", "double dash id", "NUL in a string"],
)
def test_a_hostile_lock_is_one_line_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, changes: dict[str, str],
    named: str,
) -> None:  # fmt: skip
    lock = tmp_path / "ptm.lock"
    lock.write_text(_lock_text(**changes))
    cache = tmp_path / "cache"
    extra = ["--cache-dir", str(cache)] if command == "install" else ["--format", "cyclonedx-xml"]
    code = main([command, "--lock", str(lock), *extra])
    err = capsys.readouterr().err
    assert code == 2 and named in err and str(lock) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2  # the line and a hint
    assert not cache.exists()


def test_scan_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    nested = "x = 1" + " + 1" * 200_000  # deeper than Python's parser goes
    cells = [
        {"cell_type": "code", "source": nested},
        {"cell_type": "code", "source": LOAD.format("org/nb")},
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    files = {
        ".gitignore": "[z-a]\n!\n\\\n",  # not patterns: they match nothing, as in git
        "app.py": LOAD.format("org/app"),
        "deep.ipynb": json.dumps(notebook),
    }  # fmt: skip
    for relpath, text in files.items():
        (tmp_path / relpath).write_text(text)
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    result = scan(tmp_path, cache=False)
    assert {r.model for r in result.references} == {"org/app", "org/nb"}
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["loop.py"] == reasons["a.py"] == reasons["b.py"] == "a symlink loop"
    assert "nested too deeply" in reasons["deep.ipynb"]


def test_a_deeply_nested_verified_record_only_costs_a_rehash(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lock = Lock(models=(locked_readme(),))
    with ScriptedServer(hub_script()) as server:
        hub = HuggingFaceHub(endpoint=server.url, policy=ONCE)
        install(lock, hubs={"huggingface": hub}, cache_dir=cache, policy=ONCE)
        record = cache / "models--org--m" / ".ptmlock-verified.json"
        record.write_text("[" * 100_000 + "]" * 100_000)
        again = install(lock, hubs={"huggingface": hub}, cache_dir=cache, policy=ONCE)
    assert [f.action for f in again.files] == ["reused"]  # rehashed, not fetched again
    assert verify(lock, cache_dir=cache).ok
    assert json.loads(record.read_text())  # rewritten as a record again
    snapshot = cache / "models--org--m" / "snapshots" / locked_readme().revision
    assert (snapshot / "README.md").is_symlink()
