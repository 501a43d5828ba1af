"""The endpoint a pin was resolved against: recorded in the lock without credentials, and the only
endpoint an export names, so one lock gives byte-identical SBOMs whatever HF_ENDPOINT says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.endpoint import is_public_endpoint, public_endpoint
from ptmlock.errors import LockFileError
from ptmlock.lockfile import dumps_lock, loads_lock, read_lock
from ptmlock.mirror import RepoStore
from ptmlock.models import Lock, LockedModel
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo

APP = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/tuned")\n'
FORMATS = [
    ("cyclonedx-json", "1.5"), ("cyclonedx-json", "1.6"), ("cyclonedx-json", "1.7"),
    ("cyclonedx-xml", "1.5"), ("cyclonedx-xml", "1.7"), ("spdx-json", None), ("markdown", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("https://huggingface.co/", "https://huggingface.co"),
        (
            "https://ci:hf_secret@Hub.Example:8443/hf/?token=hf_secret#x",
            "https://hub.example:8443/hf",
        ),
        ("http://[::1]:8765", "http://[::1]:8765"),
    ],
)
def test_public_endpoint_keeps_no_credentials(given: str, written: str) -> None:
    assert public_endpoint(given) == written
    assert is_public_endpoint(written)
    assert is_public_endpoint(given) == (given == written)


def _model(endpoint: str | None) -> LockedModel:
    return LockedModel(hub="huggingface", id="org/m", revision="a" * 40, endpoint=endpoint)


def test_lock_round_trips_the_endpoint_and_reads_locks_without_it() -> None:
    text = dumps_lock(Lock(models=(_model("http://127.0.0.1:8765/hf"),)))
    assert 'endpoint = "http://127.0.0.1:8765/hf"' in text
    assert loads_lock(text).models[0].endpoint == "http://127.0.0.1:8765/hf"
    older = dumps_lock(Lock(models=(_model(None),)))
    assert "endpoint" not in older and loads_lock(older).models[0].endpoint is None


@pytest.mark.parametrize("bad", ["https://u:p@hub.example", "https://hub.example/?token=x", "hub"])
def test_lock_with_credentials_in_the_endpoint_is_rejected(bad: str) -> None:
    text = dumps_lock(Lock(models=(_model("https://hub.example"),))).replace(
        '"https://hub.example"', json.dumps(bad)
    )
    with pytest.raises(LockFileError, match=r"ptm\.lock:\d+: .*model\[0\]\.endpoint"):
        loads_lock(text)


@pytest.fixture
def app(tmp_path: Path, store: RepoStore) -> Path:
    make_transformers_repo(store, "org/base", license="apache-2.0")
    make_transformers_repo(
        store, "org/tuned", license="mit", base_model="org/base", datasets=["imdb"]
    )
    root = tmp_path / "app"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


def _exports(
    lock: Path, out: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str | None
) -> list[bytes]:
    """Every format of ``lock`` exported with HF_ENDPOINT set to ``endpoint`` (None: unset)."""
    if endpoint is None:
        monkeypatch.delenv("HF_ENDPOINT", raising=False)
    else:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
    documents = []
    for fmt, version in FORMATS:
        target = out / f"{fmt}-{version}"
        argv = ["export", "--lock", str(lock), "--format", fmt, "--reproducible", "-o", str(target)]
        assert main(argv + (["--spec-version", version] if version else [])) == 0
        documents.append(target.read_bytes())
    return documents


def test_sboms_of_one_lock_are_byte_identical_whatever_hf_endpoint_says(
    app: Path, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert main(["scan", str(app)]) == 0
    lock = read_lock(app / "ptm.lock")
    assert {m.endpoint for m in lock.models} == {hf_env.endpoint}
    runs = [
        _exports(app / "ptm.lock", tmp_path, monkeypatch, endpoint)
        for endpoint in (hf_env.endpoint, None, "https://other-hub.example")
    ]
    assert runs[0] == runs[1] == runs[2]
    for document in runs[0]:
        assert hf_env.endpoint.encode() in document  # the mirror the pins were made on
        assert b"huggingface.co" not in document and b"other-hub" not in document


def test_scan_records_the_endpoint_without_its_credentials(
    app: Path, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_userinfo = hf_env.endpoint.replace("http://", "http://ci:hf_secret@")
    monkeypatch.setenv("HF_ENDPOINT", with_userinfo)
    assert main(["scan", str(app)]) == 0
    text = (app / "ptm.lock").read_text()
    assert "hf_secret" not in text
    assert {m.endpoint for m in loads_lock(text).models} == {hf_env.endpoint}


def test_older_lock_exports_with_hf_endpoint_and_says_so(
    app: Path, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(app)]) == 0
    lock_path = app / "ptm.lock"
    lock_path.write_text(re.sub(r"(?m)^endpoint = .*\n", "", lock_path.read_text()))
    monkeypatch.setenv("HF_ENDPOINT", "https://ci:hf_secret@hub.example/")
    capsys.readouterr()
    assert main(["export", "--lock", str(lock_path), "--format", "cyclonedx-json"]) == 0
    out, err = capsys.readouterr()
    assert "note:" in err and "no recorded endpoint" in err and "https://hub.example" in err
    purls = [c["purl"] for c in json.loads(out)["components"]]
    assert purls and all(p.endswith("?repository_url=https://hub.example") for p in purls)
    assert "hf_secret" not in out + err
