"""ptm.lock reading, writing and validation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from ptmlock.errors import LockFileError
from ptmlock.lockfile import (
    dumps_lock,
    loads_lock,
    lock_from_dict,
    lock_to_dict,
    read_lock,
    safe_relpath,
    write_lock,
)
from ptmlock.models import BaseModelRef, Lock, LockedFile, LockedModel, Requirement

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "ptm-lock.schema.json").read_text())


def _lock() -> Lock:
    return Lock(
        models=(
            LockedModel(
                hub="huggingface",
                id="org/zeta",
                revision="a" * 40,
                requested="v1.0",
                used_by=("app.py:3", "cli.py:10"),
                loaders=("transformers.AutoModel.from_pretrained",),
                license="Apache-2.0",
                base_models=(BaseModelRef(id="org/base", relation="finetune"),),
                datasets=("squad",),
                gated=True,
                parameters=110,
                absent=("special_tokens_map.json", "added_tokens.json"),
                requires=(
                    Requirement(id="org/code", library="file", files=("m.py",), why="auto_map"),
                    Requirement(id="org/base", revision="v2", library="transformers-model"),
                ),
                files=(
                    LockedFile(path="z.json", size=2, sha256="b" * 64),
                    LockedFile(path="config.json", size=1, sha256="c" * 64),
                ),
            ),
            LockedModel(
                hub="huggingface", id="org/alpha", revision="d" * 40, required_by=("org/zeta",)
            ),
            LockedModel(
                hub="url",
                id="https://example.com/w/net.pth",
                revision="e" * 64,
                folder="weights/facelib",
                files=(LockedFile(path="net.pth", size=3, sha256="e" * 64),),
            ),
        )
    )


def test_lock_roundtrip_is_lossless_and_sorted() -> None:
    text = dumps_lock(_lock())
    parsed = loads_lock(text)
    assert [m.id for m in parsed.models] == [
        "org/alpha", "org/zeta", "https://example.com/w/net.pth",
    ]  # fmt: skip
    assert parsed.models[2].folder == "weights/facelib"
    zeta = parsed.models[1]
    assert [f.path for f in zeta.files] == ["config.json", "z.json"]
    assert zeta.base_models == (BaseModelRef(id="org/base", relation="finetune"),)
    assert zeta.gated is True and zeta.requested == "v1.0" and zeta.parameters == 110
    assert zeta.absent == ("special_tokens_map.json", "added_tokens.json")
    assert zeta.requires == _lock().models[0].requires
    assert parsed.models[0].required_by == ("org/zeta",)
    assert dumps_lock(parsed) == text


def test_lock_refuses_unsafe_absent_and_required_file_paths() -> None:
    base = {"hub": "huggingface", "id": "a/b", "revision": "a" * 40}
    with pytest.raises(LockFileError, match=r"model\[0\]\.absent\[0\]"):
        lock_from_dict({"version": 1, "model": [base | {"absent": ["../x"]}]})
    bad = {"requires": [{"id": "o/c", "files": ["/etc/passwd"]}]}
    with pytest.raises(LockFileError, match=r"model\[0\]\.requires\[0\]\.files\[0\]"):
        lock_from_dict({"version": 1, "model": [base | bad]})
    for folder in ("../outside", "/etc", "weights/../../x"):
        with pytest.raises(LockFileError, match=r"Unsafe folder .* in .model\[0\]\.folder."):
            lock_from_dict({"version": 1, "model": [base | {"folder": folder}]})


def test_lock_dump_is_deterministic_whatever_the_input_order() -> None:
    lock = _lock()
    shuffled = Lock(models=tuple(reversed(lock.models)))
    assert dumps_lock(lock) == dumps_lock(shuffled)
    assert "T" not in dumps_lock(lock).split("version")[0].replace("ptm.lock", "")  # no timestamps


def test_lock_dict_validates_against_the_schema() -> None:
    jsonschema.validate(lock_to_dict(_lock()), SCHEMA)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["model"][1]["file"][0].update(sha256="XYZ"), "model[1].file[0].sha256"),
        (lambda d: d["model"][1]["file"][0].update(size="12"), "model[1].file[0].size"),
        (lambda d: d["model"][0].update(revision="main"), "model[0].revision"),
        (lambda d: d["model"][0].update(hub="gitlab"), "model[0].hub"),
        (lambda d: d["model"][0].pop("id"), "model[0].id"),
        (lambda d: d["model"][0].update(colour="red"), "model[0].colour"),
        (lambda d: d["model"][1]["file"][0].update(path="../escape"), "model[1].file[0].path"),
        (lambda d: d["model"][1]["file"][0].update(path="/etc/passwd"), "model[1].file[0].path"),
        (lambda d: d.update(version=2), "version"),
    ],
)
def test_lock_from_dict_names_the_bad_key(edit: object, message: str) -> None:
    data = lock_to_dict(_lock())
    edit(data)  # type: ignore[operator]
    with pytest.raises(LockFileError, match=re.escape(f"in '{message}'")):
        lock_from_dict(data)


def test_lock_newer_version_is_rejected_clearly() -> None:
    with pytest.raises(LockFileError, match="newer than this ptmlock supports"):
        loads_lock("version = 7\n")


def test_lock_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ptm.lock"
    text = dumps_lock(_lock())
    lines = text.splitlines()
    bad_line = next(
        i for i, line in enumerate(lines) if line.startswith("sha256") and "b" * 64 in line
    )
    lines[bad_line] = 'sha256 = "not-a-hash"'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LockFileError) as info:
        read_lock(path)
    assert str(info.value).startswith(f"{path}:{bad_line + 1}: ")
    assert "model[1].file[1].sha256" in str(info.value)


def test_lock_not_toml_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "ptm.lock"
    path.write_text("version = [[[\n")
    with pytest.raises(LockFileError, match="not valid TOML"):
        read_lock(path)


def test_lock_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(LockFileError) as info:
        read_lock(tmp_path / "ptm.lock")
    assert "no such lock file" in str(info.value) and info.value.hint


def test_write_lock_reports_unchanged_and_keeps_bytes(tmp_path: Path) -> None:
    path = tmp_path / "ptm.lock"
    assert write_lock(_lock(), path) is True
    before = path.stat().st_mtime_ns
    assert write_lock(_lock(), path) is False
    assert path.stat().st_mtime_ns == before
    assert not [p for p in tmp_path.iterdir() if p.name != "ptm.lock"]  # no temp files left


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("config.json", True),
        ("onnx/model.onnx", True),
        ("../x", False),
        ("a/../../b", False),
        ("/etc/passwd", False),
        ("C:/x", False),
        ("a\\b", False),
        ("a//b", False),
        ("./a", False),
        ("", False),
    ],
)
def test_safe_relpath(path: str, ok: bool) -> None:
    assert safe_relpath(path) is ok
