"""The ptmlock command, in-process, against the project's own Hub server over real HTTP."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ptmlock.cli import main
from ptmlock.hubs import HUB_FACTORIES
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.lockfile import read_lock
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.retry import RetryPolicy
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo
from tests.proxy import ForwardProxy

APP = """\
from huggingface_hub import hf_hub_download
from transformers import AutoModel, AutoTokenizer, pipeline

BASE = "org/encoder"


def load(name: str = "org/summarizer"):
    AutoTokenizer.from_pretrained(BASE)
    AutoModel.from_pretrained(BASE)
    pipeline("text-classification", model="org/classifier", revision="v1.0")
    hf_hub_download("org/llm", filename="llm.Q4.gguf")
    return AutoModel.from_pretrained(name)
"""


@pytest.fixture
def project(tmp_path: Path, store: RepoStore) -> Path:
    make_transformers_repo(store, "org/encoder", license="mit")
    make_transformers_repo(store, "org/summarizer")
    tagged = make_transformers_repo(store, "org/classifier", base_model="org/encoder")
    store.tag("org/classifier", "v1.0", tagged)
    make_transformers_repo(store, "org/classifier", extra={"later.txt": b"main moved on"})
    store.commit("org/llm", {"llm.Q4.gguf": b"GGUF" + b"\7" * 5000, "llm.Q8.gguf": b"GGUF" * 9})
    root = tmp_path / "app"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_no_resolve_json_inventory_needs_no_network(
    project: Path, capsys: pytest.CaptureFixture[str], mirror: MirrorServer, hf_env: HfEnv
) -> None:
    before = len(mirror.requests)
    code, out, _ = _run(capsys, "scan", str(project), "--no-resolve", "--format", "json")
    assert code == 0 and len(mirror.requests) == before
    refs = json.loads(out)["references"]
    found = {(r["file"], r["line"], r["model"], r["revision"]) for r in refs}
    assert found == {  # where each model is written; the chain leads to the loading calls
        ("app.py", 4, "org/encoder", None),
        ("app.py", 10, "org/classifier", "v1.0"),
        ("app.py", 11, "org/llm", None),
        ("app.py", 7, "org/summarizer", None),
    }
    encoder = [r["chain"][-1] for r in refs if r["model"] == "org/encoder"]
    assert sorted(encoder) == [
        "app.py:8 transformers.AutoTokenizer.from_pretrained()",
        "app.py:9 transformers.AutoModel.from_pretrained()",
    ]
    for ref in refs:
        assert {"file", "line", "hub", "model", "revision", "api"} <= ref.keys()
    assert not (project / "ptm.lock").exists()


def test_scan_explain_shows_each_hop_to_the_loader_and_writes_no_lock(
    project: Path, capsys: pytest.CaptureFixture[str], mirror: MirrorServer, hf_env: HfEnv
) -> None:
    before = len(mirror.requests)
    code, out, _ = _run(capsys, "scan", str(project), "--explain", "ORG/ENCODER")
    assert code == 0 and len(mirror.requests) == before
    assert out.splitlines() == [
        "ORG/ENCODER",
        "  app.py:4: transformers.AutoModel.from_pretrained (constant, medium confidence)",
        "      app.py:4 BASE = ...",
        "      app.py:9 transformers.AutoModel.from_pretrained()",
        "  app.py:4: transformers.AutoTokenizer.from_pretrained (constant, medium confidence)",
        "      app.py:4 BASE = ...",
        "      app.py:8 transformers.AutoTokenizer.from_pretrained()",
    ]
    code, out, _ = _run(capsys, "scan", str(project), "--explain", "org/llm", "--format", "json")
    assert code == 0
    assert [r["chain"] for r in json.loads(out)["references"]] == [
        ["app.py:11 huggingface_hub.hf_hub_download()"]
    ]
    code, out, _ = _run(capsys, "scan", str(project), "--explain", "org/absent")
    assert code == 1 and "org/absent: not named anywhere" in out
    assert not (project / "ptm.lock").exists()


def test_scan_install_verify_export_flow(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv, store: RepoStore
) -> None:
    code, out, _ = _run(capsys, "scan", str(project))
    assert code == 0, out
    lock_path = project / "ptm.lock"
    lock = read_lock(lock_path)
    assert [m.id for m in lock.models] == [
        "org/classifier",
        "org/encoder",
        "org/llm",
        "org/summarizer",
    ]
    classifier = lock.find("huggingface", "org/classifier")
    assert classifier is not None and classifier.requested == "v1.0"
    assert classifier.revision == store.resolve("org/classifier", "v1.0")
    assert classifier.revision != store.resolve("org/classifier", "main")
    llm = lock.find("huggingface", "org/llm")
    assert llm is not None and [f.path for f in llm.files] == ["llm.Q4.gguf"]

    first = lock_path.read_bytes()
    assert _run(capsys, "scan", str(project))[0] == 0
    assert lock_path.read_bytes() == first  # nothing changed: byte-identical
    assert _run(capsys, "scan", str(project), "--check")[0] == 0

    code, out, _ = _run(capsys, "install", "--lock", str(lock_path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["reused"] == [] and summary["bytes_fetched"] > 0
    code, out, _ = _run(capsys, "install", "--lock", str(lock_path))
    assert code == 0 and out.startswith("nothing to do")

    assert _run(capsys, "verify", "--lock", str(lock_path))[0] == 0
    weights = next(f for f in classifier.files if f.path == "model.safetensors")
    blob = hf_env.cache / "models--org--classifier" / "blobs" / weights.sha256
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    code, out, _ = _run(capsys, "verify", "--lock", str(lock_path))
    assert code == 1
    assert "FAIL org/classifier: model.safetensors: sha256" in out

    bom_path = project / "bom.json"
    code, _, _ = _run(
        capsys,
        "export",
        "--lock",
        str(lock_path),
        "--format",
        "cyclonedx-json",
        "-o",
        str(bom_path),
    )
    assert code == 0
    bom = json.loads(bom_path.read_text())
    purls = sorted(c["purl"] for c in bom["components"] if c["type"] == "machine-learning-model")
    expected = f"pkg:huggingface/org/classifier@{classifier.revision}?repository_url="
    assert any(purl.startswith(expected) for purl in purls), purls


def test_scan_check_fails_when_code_and_lock_drift(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv
) -> None:
    assert _run(capsys, "scan", str(project))[0] == 0
    lock_before = (project / "ptm.lock").read_bytes()
    assert _run(capsys, "check", str(project))[0:2] == (0, f"{project / 'ptm.lock'}: up to date\n")
    app = project / "app.py"
    app.write_text(app.read_text().replace('"org/summarizer"', '"org/encoder"'))
    code, out, _ = _run(capsys, "scan", str(project), "--check")
    assert code == 1 and "out of date" in out
    # it says what drifted: a model no longer used, and where the other one is used now
    assert "  removed huggingface:org/summarizer: no longer used\n" in out
    assert "  changed huggingface:org/encoder: used by app.py:" in out
    code, out, _ = _run(capsys, "check", str(project), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["up_to_date"] is False
    assert {(d["change"], d["id"]) for d in report["drift"]} == {
        ("removed", "org/summarizer"),
        ("changed", "org/encoder"),
    }
    assert (project / "ptm.lock").read_bytes() == lock_before  # a check writes nothing


def test_check_fails_on_an_unresolved_loader_site_until_declared_or_ignored(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv
) -> None:
    (project / "dynamic.py").write_text(
        "import os\nfrom transformers import AutoModel\n\n"
        "def load():\n    return AutoModel.from_pretrained(os.environ['MODEL'])\n"
    )
    code, out, _ = _run(capsys, "scan", str(project))
    assert code == 0 and "warning: dynamic.py:5: transformers.AutoModel.from_pretrained" in out
    code, out, _ = _run(capsys, "check", str(project))
    assert code == 1  # the lock is current, but the app would fail offline at that site
    assert "unresolved dynamic.py:5: transformers.AutoModel.from_pretrained" in out
    assert "1 unresolved loader site(s); fix: resolve it" in out
    assert "ptmlock add ID --site FILE:LINE" in out and "ptmlock ignore FILE:LINE" in out
    report = json.loads(_run(capsys, "check", str(project), "--format", "json")[1])
    assert report["ok"] is False and report["up_to_date"] is True
    assert [(f["rule"], f["file"], f["line"]) for f in report["findings"]] == [
        ("unresolved-loader", "dynamic.py", 5)
    ]
    # declared: the model it loads is locked, and the site is accounted for
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert (
        _run(capsys, "add", "org/summarizer", "--site", "dynamic.py:5", "--project", str(project))[
            0
        ]
        == 0
    )
    assert _run(capsys, "scan", str(project))[0] == 0
    assert _run(capsys, "check", str(project))[0] == 0
    # or ignored
    (project / "pyproject.toml").write_text('[tool.ptmlock]\nignore = ["dynamic.py:5"]\n')
    assert _run(capsys, "scan", str(project))[0] == 0
    assert _run(capsys, "check", str(project))[0] == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("version = [[[\n", "not valid TOML"),
        ("version = 9\n", "newer than this ptmlock supports"),
        (
            'version = 1\n[[model]]\nhub = "huggingface"\nid = "a/b"\nrevision = "main"\n',
            "model[0].revision",
        ),
    ],
)
def test_bad_lock_is_a_one_line_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    lock = tmp_path / "ptm.lock"
    lock.write_text(content)
    for command in ("install", "verify"):
        code, _, err = _run(capsys, command, "--lock", str(lock))
        assert code == 2
        first = err.splitlines()[0]
        assert first.startswith(f"ptmlock: error: {lock}") and expected in first
        assert lock.read_text() == content  # untouched


def test_scan_unknown_model_is_a_hub_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv
) -> None:
    (tmp_path / "app.py").write_text(
        'from transformers import AutoModel\nAutoModel.from_pretrained("org/missing")\n'
    )
    code, _, err = _run(capsys, "scan", str(tmp_path))
    assert code == 3
    assert "org/missing" in err and hf_env.endpoint in err
    assert not (tmp_path / "ptm.lock").exists()


def test_scan_gated_model_says_how_to_log_in_and_keeps_the_old_lock(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv, store: RepoStore
) -> None:
    assert _run(capsys, "scan", str(project))[0] == 0
    before = (project / "ptm.lock").read_bytes()
    make_transformers_repo(store, "org/gated")
    store.set_gated("org/gated", "manual", tokens=["hf_right"])
    app = project / "app.py"
    app.write_text(app.read_text() + '\nAutoModel.from_pretrained("org/gated")\n')
    code, _, err = _run(capsys, "scan", str(project))
    assert code == 3 and "org/gated" in err and "hf auth login" in err
    assert (project / "ptm.lock").read_bytes() == before


def test_token_never_reaches_output_lock_or_bom(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    hf_env: HfEnv,
    store: RepoStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "hf_SUPERSECRETTOKEN123"
    make_transformers_repo(store, "org/gated")
    store.set_gated("org/gated", "manual", tokens=[secret])
    app = project / "app.py"
    app.write_text(app.read_text() + '\nAutoModel.from_pretrained("org/gated")\n')
    monkeypatch.setenv("HF_TOKEN", secret)
    outputs = []
    for argv in (
        ["-vv", "scan", str(project)],
        ["-vv", "install", "--lock", str(project / "ptm.lock")],
        ["export", "--lock", str(project / "ptm.lock"), "--format", "cyclonedx-xml"],
    ):
        code, out, err = _run(capsys, *argv)
        assert code == 0, err
        outputs.append(out + err)
    assert secret not in "".join(outputs)
    assert secret not in (project / "ptm.lock").read_text()
    gated = read_lock(project / "ptm.lock").find("huggingface", "org/gated")
    assert gated is not None and gated.gated


def test_the_hf_auth_login_token_is_used_and_never_written(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    hf_env: HfEnv,
    store: RepoStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no HF_TOKEN: the token `hf auth login` stored, where huggingface_hub reads it
    from huggingface_hub import constants

    secret = "hf_LOGGEDINTOKEN456"
    token_file = tmp_path / "login" / "token"
    token_file.parent.mkdir()
    token_file.write_text(secret)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(token_file))
    make_transformers_repo(store, "org/gated")
    store.set_gated("org/gated", "manual", tokens=[secret])
    app = project / "app.py"
    app.write_text(app.read_text() + '\nAutoModel.from_pretrained("org/gated")\n')
    outputs = []
    for argv in (
        ["-vv", "scan", str(project)],
        ["-vv", "install", "--lock", str(project / "ptm.lock")],
    ):
        code, out, err = _run(capsys, *argv)
        assert code == 0, err
        outputs.append(out + err)
    assert secret not in "".join(outputs)
    written = [project / "ptm.lock", *(p for p in hf_env.cache.rglob("*") if p.is_file())]
    assert len(written) > 5 and not [p for p in written if secret.encode() in p.read_bytes()]


def test_scan_and_install_behind_a_proxy_that_alone_can_reach_the_hub(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    hf_env: HfEnv,
    mirror: MirrorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The hub's name resolves nowhere (the loopback guard fails any lookup): every metadata
    # request (huggingface_hub) and every file body (ptmlock) must go through the proxy.
    from huggingface_hub import close_session

    port = urlsplit(mirror.url).port or 80
    with ForwardProxy({"hub.example.invalid": ("127.0.0.1", port)}, credentials="ci:pw") as proxy:
        monkeypatch.setenv("HF_ENDPOINT", "http://hub.example.invalid")
        monkeypatch.setenv("http_proxy", proxy.url.replace("http://", "http://ci:pw@"))
        monkeypatch.delenv("no_proxy", raising=False)
        close_session()  # huggingface_hub reads proxy variables when it makes its client
        try:
            for argv in (["scan", str(project)], ["install", "--lock", str(project / "ptm.lock")]):
                code, _, err = _run(capsys, *argv)
                assert code == 0, err
        finally:
            close_session()
    assert any(line.startswith("GET http://hub.example.invalid/api/models/") for line in proxy.seen)
    lock = read_lock(project / "ptm.lock")
    bodies = [line for line in proxy.seen if "/resolve/" in line]
    assert len(bodies) >= sum(len(m.files) for m in lock.models)
    code, _, err = _run(capsys, "verify", "--full", "--lock", str(project / "ptm.lock"))
    assert code == 0, err


def test_hub_unreachable_names_the_endpoint(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    fast = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)
    monkeypatch.setitem(HUB_FACTORIES, "huggingface", lambda: HuggingFaceHub(policy=fast))
    code, _, err = _run(capsys, "scan", str(project))
    assert code == 3 and "http://127.0.0.1:9" in err.splitlines()[0]


def test_help_explains_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("scan", "install", "verify", "export", "serve", "mirror", "add", "ignore"):
        assert command in out
    assert "Exit codes" in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["install", "--jobs", "many"])
    assert info.value.code == 2


def test_export_formats_validate_and_reproduce(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv
) -> None:
    assert _run(capsys, "scan", str(project))[0] == 0
    lock = str(project / "ptm.lock")
    export = ("export", "--lock", lock, "--format", "cyclonedx-json", "--reproducible")
    runs = [_run(capsys, *export, "--validate"), _run(capsys, *export)]
    assert runs[0][0] == 0 and runs[0][1] == runs[1][1]  # same lock, same bytes
    code, out, _ = _run(capsys, "export", "--lock", lock, "--format", "markdown")
    assert code == 0 and "org/classifier" in out
    code, out, err = _run(capsys, "export", "--lock", lock, "--format", "pdf")
    assert code == 2 and "unknown export format" in err


def test_add_and_ignore_edit_pyproject_and_reject_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('# mine\n[project]\nname = "x"   # keep\n')
    pyproject.chmod(0o640)
    add = ("add", "org/runtime", "--revision", "v2", "--offline", "--project", str(tmp_path))
    assert _run(capsys, *add)[0] == 0
    assert _run(capsys, "ignore", "org/noise", "--project", str(tmp_path))[0] == 0
    text = pyproject.read_text()
    assert text.startswith('# mine\n[project]\nname = "x"   # keep\n')
    assert 'id = "org/runtime"' in text and '"org/noise"' in text
    assert pyproject.stat().st_mode & 0o777 == 0o640  # permissions survive the atomic rewrite
    code, _, err = _run(capsys, "add", "not a/valid/id", "--project", str(tmp_path))
    assert code == 2 and "not a Hugging Face model id" in err
    code, _, err = _run(capsys, "add", "org/x", "--project", str(tmp_path / "missing"))
    assert code == 2 and "not a directory" in err
    assert pyproject.read_text() == text


def test_new_lock_is_readable_by_others(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv
) -> None:
    assert _run(capsys, "scan", str(project))[0] == 0
    assert (project / "ptm.lock").stat().st_mode & 0o044 == 0o044  # not mkstemp's 0600


def test_install_shows_progress_on_a_terminal_only(
    project: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv, tmp_path: Path
) -> None:
    assert _run(capsys, "scan", str(project))[0] == 0
    lock = str(project / "ptm.lock")
    # not a TTY (pytest captures): no progress line, just the summary
    code, out, err = _run(capsys, "install", "--lock", lock, "--cache-dir", str(tmp_path / "a"))
    assert code == 0 and "\x1b[" not in err and out.startswith("installed ")
    # a real pseudo-terminal: progress with sizes and speed is drawn on stderr, from 0.2 s on
    hf_env.mirror.faults.add(kind="slow", match="llm.Q4.gguf", bytes_per_second=5000)
    script = "import sys; from ptmlock.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [
        sys.executable,
        "-c",
        script,
        "install",
        "--lock",
        lock,
        "--cache-dir",
        str(tmp_path / "b"),
    ]
    main_fd, child_fd = pty.openpty()
    with subprocess.Popen(argv, stdin=child_fd, stdout=child_fd, stderr=child_fd) as proc:
        os.close(child_fd)
        chunks = []
        while True:
            try:
                data = os.read(main_fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        status = proc.wait(timeout=60)
    os.close(main_fd)
    screen = b"".join(chunks).decode(errors="replace")
    assert status == 0, screen
    assert "/s  ETA" in screen and "every byte verified" in screen
    assert "] 100%" in screen or "%  org/" in screen  # a bar per active file
    code, out, err = _run(
        capsys, "install", "--lock", lock, "--cache-dir", str(tmp_path / "c"), "-q"
    )
    assert code == 0 and out == "" and err == ""


def test_install_with_hf_hub_offline_lists_missing_files_without_network(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    hf_env: HfEnv,
    mirror: MirrorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run(capsys, "scan", str(project))[0] == 0
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    before = len(mirror.requests)
    code, _, err = _run(capsys, "install", "--lock", str(project / "ptm.lock"))
    assert code == 3 and "offline" in err and "org/encoder/config.json" in err
    assert len(mirror.requests) == before
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert _run(capsys, "install", "--lock", str(project / "ptm.lock"))[0] == 0
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert _run(capsys, "install", "--lock", str(project / "ptm.lock"))[0] == 0
    assert _run(capsys, "scan", str(project))[0] == 0  # pins kept: no hub needed offline
