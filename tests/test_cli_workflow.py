"""The lock workflow as a user and a CI job see it: the real ``ptmlock`` as a subprocess
against the project's own Hub server over HTTP; help text, exit codes, and every JSON document
validated against its schema under schemas/cli/."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmlock.lockfile import read_lock
from ptmlock.mirror import MirrorServer, RepoStore
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas" / "cli"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: connection refused at once

APP = """\
from transformers import AutoModel, pipeline

AutoModel.from_pretrained("org/encoder")
pipeline("text-classification", model="org/classifier", revision="v1.0")
AutoModel.from_pretrained("org/summarizer")
"""


def ptmlock(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    environment = dict(os.environ) | {"COLUMNS": "100"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "ptmlock", *args],
        cwd=cwd or ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )


def validated(done: subprocess.CompletedProcess[str], schema: str) -> dict[str, Any]:
    """stdout parsed and checked against schemas/cli/<schema>.schema.json."""
    document: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(document, json.loads((SCHEMAS / f"{schema}.schema.json").read_text()))
    assert document["schema_version"] == 1
    return document


@pytest.fixture(autouse=True)
def _scan_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def project(tmp_path: Path, store: RepoStore, hf_env: HfEnv) -> Path:
    make_transformers_repo(store, "org/encoder", license="mit")
    make_transformers_repo(store, "org/summarizer")
    make_transformers_repo(store, "org/extra")
    first = make_transformers_repo(store, "org/classifier")
    store.tag("org/classifier", "v1.0", first)
    second = make_transformers_repo(store, "org/classifier", extra={"v2.txt": b"two"})
    store.tag("org/classifier", "v2.0", second)
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (root / "src" / "app.py").write_text(APP)
    done = ptmlock("scan", str(root))
    assert done.returncode == 0, done.stderr
    return root


def _drift_the_code(project: Path) -> None:
    """One model added, one removed, one asked for at another tag."""
    app = project / "src" / "app.py"
    text = app.read_text().replace('"org/summarizer"', '"org/extra"')
    app.write_text(text.replace('revision="v1.0"', 'revision="v2.0"'))


# -- help, verbosity, typos -----------------------------------------------------------------
COMMANDS = [
    ["scan"],
    ["check"],
    ["install"],
    ["verify"],
    ["push"],
    ["export"],
    ["serve"],
    ["mirror"],
    ["mirror", "add"],
    ["mirror", "import"],
    ["add"],
    ["ignore"],
    ["audit"],
    ["outdated"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_description_examples_exit_codes(command: list[str]) -> None:
    done = ptmlock(*command, "--help")
    assert done.returncode == 0
    text = done.stdout
    usage, description = text.split("\n\n")[:2]
    assert usage.startswith(f"usage: ptmlock {' '.join(command)}")
    assert len(description.split()) >= 10  # a sentence saying what it does, not the usage
    examples = text.split("examples:\n")[1].split("\n\n")[0].splitlines()
    assert 2 <= len(examples) <= 3
    assert all(line.startswith("  ptmlock ") or "ptmlock " in line for line in examples)
    codes = text.split("exit codes:\n")[1].splitlines()
    assert codes[0].split()[:2] == ["0", "ok"] and any(c.split()[0] == "2" for c in codes)


def test_every_option_has_help_and_says_its_default() -> None:
    import argparse

    from ptmlock.cli import build_parser

    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        found = [parser]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found += parsers(child)
        return found

    for parser in parsers(build_parser())[1:]:
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, f"{parser.prog} {action.option_strings}: no help"
            shown = formatter._expand_help(action)
            if action.default not in (None, False, argparse.SUPPRESS) and action.const is None:
                assert "default" in shown, f"{parser.prog} {action.option_strings}: {shown}"


def test_verbosity_works_after_the_subcommand(project: Path) -> None:
    quiet = ptmlock("scan", str(project), "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = ptmlock("scan", "--no-resolve", str(project), "-v")
    assert loud.returncode == 0 and "INFO ptmlock.scan.scanner: scanned" in loud.stderr
    before = ptmlock("-v", "scan", "--no-resolve", str(project))
    assert "INFO ptmlock" in before.stderr


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["scna"], "did you mean 'scan'?"),
        (["instal", "--locked"], "did you mean 'install'?"),
        (["install", "--lokc", "x"], "did you mean '--lock'?"),
        (["check", "--ofline"], "did you mean '--offline'?"),
        (["mirror", "improt", "x"], "did you mean 'import'?"),
    ],
)
def test_typos_suggest_what_was_meant(argv: list[str], suggestion: str) -> None:
    done = ptmlock(*argv)
    assert done.returncode == 2 and suggestion in done.stderr.splitlines()[-1]


# -- check ----------------------------------------------------------------------------------
def test_check_reports_drift_offline_when_the_hub_is_unreachable(project: Path) -> None:
    _drift_the_code(project)
    done = ptmlock("check", str(project), env={"HF_ENDPOINT": UNREACHABLE})
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "  changed huggingface:org/classifier: requested v1.0 -> v2.0; new pin not known "
        "(needs the hub)"
    )
    assert lines[1].startswith("  added huggingface:org/extra: used by src/app.py:5; new pin")
    assert lines[2] == "  removed huggingface:org/summarizer: no longer used"
    assert "the hub is unreachable" in done.stdout and "out of date" in done.stdout
    as_json = ptmlock("check", str(project), "--json", env={"HF_ENDPOINT": UNREACHABLE})
    report = validated(as_json, "check")
    assert as_json.returncode == 1 and report["ok"] is False and report["hub_consulted"] is False
    moved = next(d for d in report["drift"] if d["id"] == "org/classifier")
    assert moved["changes"] == [{"field": "requested", "old": "v1.0", "new": "v2.0"}]
    assert moved["pending"] is True
    assert {(d["change"], d["id"]) for d in report["drift"]} == {
        ("added", "org/extra"),
        ("changed", "org/classifier"),
        ("removed", "org/summarizer"),
    }


def test_check_offline_never_asks_and_online_asks_only_for_new_pins(
    project: Path, mirror: MirrorServer, store: RepoStore
) -> None:
    written = (project / "ptm.lock").read_bytes()
    clean = ptmlock("check", str(project))
    assert clean.returncode == 0 and "up to date" in clean.stdout
    before = len(mirror.requests)
    assert ptmlock("check", str(project), "--offline").returncode == 0
    _drift_the_code(project)
    offline = ptmlock("check", str(project), "--offline", "--format", "json")
    assert offline.returncode == 1 and len(mirror.requests) == before  # no hub at all
    assert validated(offline, "check")["hub_consulted"] is False
    online = ptmlock("check", str(project), "--json")
    report = validated(online, "check")
    assert online.returncode == 1 and report["hub_consulted"] is True
    moved = next(d for d in report["drift"] if d["id"] == "org/classifier")
    lock = read_lock(project / "ptm.lock")
    old = lock.find("huggingface", "org/classifier")
    assert old is not None
    assert {
        "field": "revision",
        "old": old.revision,
        "new": store.resolve("org/classifier", "v2.0"),
    } in moved["changes"]
    asked = [r.path for r in list(mirror.requests)[before:]]
    assert any("org/classifier" in path for path in asked)
    assert not any("org/encoder" in path for path in asked)  # unchanged: never asked about
    assert (project / "ptm.lock").read_bytes() == written  # a check writes nothing


def test_check_without_a_lock_fails_and_says_so(tmp_path: Path, hf_env: HfEnv) -> None:
    (tmp_path / "app.py").write_text(APP)
    done = ptmlock("check", str(tmp_path), "--offline", "--json")
    report = validated(done, "check")
    assert done.returncode == 1 and report["lock_exists"] is False and len(report["drift"]) == 3


# -- install --locked / --frozen ------------------------------------------------------------
def test_install_locked_refuses_a_stale_lock_with_the_drift(project: Path, tmp_path: Path) -> None:
    lock = str(project / "ptm.lock")
    cache = tmp_path / "cache"
    _drift_the_code(project)
    done = ptmlock("install", "--locked", "--lock", lock, "--cache-dir", str(cache))
    assert done.returncode == 1
    assert "removed huggingface:org/summarizer" in done.stderr
    assert "out of date with the code" in done.stderr and "--locked" in done.stderr
    assert not cache.exists()  # nothing installed
    as_json = ptmlock("install", "--locked", "--lock", lock, "--cache-dir", str(cache), "--json")
    report = validated(as_json, "install")
    assert report["ok"] is False and len(report["drift"]) == 3 and report["fetched"] == []
    frozen = ptmlock("install", "--frozen", "--lock", lock, "--cache-dir", str(cache), "--json")
    assert frozen.returncode == 0 and validated(frozen, "install")["bytes_fetched"] > 0
    both = ptmlock("install", "--locked", "--frozen", "--lock", lock)
    assert both.returncode == 2 and "not allowed with" in both.stderr
    assert ptmlock("scan", str(project)).returncode == 0
    fresh = ptmlock("install", "--locked", "--lock", lock, "--cache-dir", str(cache))
    assert fresh.returncode == 0, fresh.stderr


def test_install_locked_checks_the_project_named(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "out" / "ptm.lock"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes((project / "ptm.lock").read_bytes())
    cache = str(tmp_path / "cache")
    args = ("install", "--locked", "--lock", str(elsewhere), "--cache-dir", cache)
    alone = ptmlock(*args)  # the lock's own folder has no code: every model "removed"
    assert alone.returncode == 1 and alone.stderr.count("removed") == 3
    assert ptmlock(*args, "--project", str(project)).returncode == 0


# -- scan says what moved -------------------------------------------------------------------
def test_scan_prints_what_moved(project: Path, store: RepoStore) -> None:
    old = read_lock(project / "ptm.lock").find("huggingface", "org/classifier")
    assert old is not None
    _drift_the_code(project)
    done = ptmlock("scan", str(project))
    assert done.returncode == 0, done.stderr
    new = store.resolve("org/classifier", "v2.0")
    assert (
        f"updated huggingface:org/classifier v1.0 → v2.0 ({old.revision[:12]} → {new[:12]})"
        in done.stdout.splitlines()
    )
    extra = store.resolve("org/extra", "main")
    assert f"added huggingface:org/extra @ {extra[:12]}" in done.stdout.splitlines()
    assert "removed huggingface:org/summarizer" in done.stdout.splitlines()
    again = ptmlock("scan", str(project), "--json")
    report = validated(again, "scan")
    assert report["changes"] == [] and report["written"] is False


def test_scan_upgrade_model_moves_one_pin_and_refuses_an_unknown_id(
    project: Path, store: RepoStore
) -> None:
    before = (project / "ptm.lock").read_bytes()
    wrong = ptmlock("scan", str(project), "--upgrade-model", "org/encodr")
    assert wrong.returncode == 2
    assert (
        "--upgrade-model org/encodr" in wrong.stderr and "did you mean org/encoder" in wrong.stderr
    )
    assert (project / "ptm.lock").read_bytes() == before
    old = store.resolve("org/encoder", "main")
    new = make_transformers_repo(store, "org/encoder", extra={"more.txt": b"x"})
    done = ptmlock("scan", str(project), "--upgrade-model", "org/encoder", "--json")
    report = validated(done, "scan")
    [moved] = report["changes"]
    assert moved["id"] == "org/encoder"
    assert {"field": "revision", "old": old, "new": new} in moved["changes"]


def test_scan_summary_line_and_same_json_keys_in_every_mode(project: Path) -> None:
    done = ptmlock("scan", str(project))
    summary = done.stderr.splitlines()[-1]
    assert summary.startswith("scanned ") and " skipped) in " in summary
    assert summary.endswith("3 reference(s), 3 model(s) locked")
    inventory = validated(ptmlock("scan", str(project), "--no-resolve", "--json"), "scan")
    locked = validated(ptmlock("scan", str(project), "--format", "json"), "scan")
    assert inventory.keys() == locked.keys()
    assert inventory["lock"] is None and locked["lock"] == str(project / "ptm.lock")
    assert locked["summary"]["references"] == 3 and locked["summary"]["files_scanned"] >= 2
    assert all(isinstance(m["size"], int) and m["size"] > 0 for m in locked["models"])


def test_scan_shows_progress_on_a_terminal(tmp_path: Path, hf_env: HfEnv) -> None:
    for i in range(300):
        (tmp_path / f"m{i}.py").write_text(f"X = {i}\n")
    main_fd, child_fd = pty.openpty()
    argv = [sys.executable, "-m", "ptmlock", "scan", "--no-resolve", str(tmp_path)]
    with subprocess.Popen(argv, stdin=child_fd, stdout=child_fd, stderr=child_fd) as proc:
        os.close(child_fd)
        chunks = []
        while True:
            try:
                data = os.read(main_fd, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    os.close(main_fd)
    screen = b"".join(chunks).decode(errors="replace")
    assert "scan: looking at 256/300 files" in screen
    assert "scanned 300 file(s)" in screen
    piped = ptmlock("scan", "--no-resolve", str(tmp_path))
    assert "\x1b[" not in piped.stderr and "looking at" not in piped.stderr


# -- add and ignore -------------------------------------------------------------------------
def test_add_validates_against_the_hub_and_merges(project: Path, store: RepoStore) -> None:
    pyproject = project / "pyproject.toml"
    done = ptmlock("add", "org/extra", "--revision", "main", "--pattern", "*.json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "added org/extra at main (" in done.stdout
    again = ptmlock("add", "org/extra", cwd=project / "src")  # found in the parent folder
    assert again.returncode == 0 and "already declared like that" in again.stdout
    text = pyproject.read_text()
    assert 'revision = "main"' in text and '"*.json"' in text  # nothing forgotten
    moved = ptmlock("add", "org/extra", "--revision", store.resolve("org/extra", "main"),
                    "--json", cwd=project)  # fmt: skip
    report = validated(moved, "add")
    assert report["action"] == "updated" and report["patterns"] == ["*.json"]
    assert [c["field"] for c in report["changes"]] == ["revision"]
    assert report["pin"]["revision"] == store.resolve("org/extra", "main")
    assert '"*.json"' in pyproject.read_text()
    text = pyproject.read_text()
    missing = ptmlock("add", "org/nope", cwd=project)
    assert missing.returncode == 3 and "no such model" in missing.stderr
    revision = ptmlock("add", "org/extra", "--revision", "v9", cwd=project)
    assert revision.returncode == 3 and "'v9'" in revision.stderr
    assert "ptmlock add --revision" in revision.stderr
    patterns = ptmlock("add", "org/extra", "--pattern", "*.gguf", cwd=project)
    assert patterns.returncode == 2 and "select no file" in patterns.stderr
    assert pyproject.read_text() == text  # refused: nothing written


def test_add_refuses_without_pyproject(tmp_path: Path, hf_env: HfEnv) -> None:
    done = ptmlock("add", "org/extra", "--offline", cwd=tmp_path)
    assert done.returncode == 2 and "no pyproject.toml in" in done.stderr
    assert not (tmp_path / "pyproject.toml").exists()
    as_json = ptmlock("add", "org/extra", "--offline", "--json", cwd=tmp_path)
    error = validated(as_json, "error")
    assert error["error"]["type"] == "ConfigError" and error["error"]["exit_code"] == 2


def test_ignore_warns_about_an_entry_that_matches_nothing(project: Path) -> None:
    done = ptmlock("ignore", "org/sumarizer", cwd=project)
    assert done.returncode == 0
    assert "matches no reference" in done.stderr and "did you mean 'org/summarizer'" in done.stderr
    hit = ptmlock("ignore", "src/app.py:5", "--json", cwd=project)
    report = validated(hit, "ignore")
    assert report["matches"] == ["src/app.py:5"] and "warning" not in hit.stderr


# -- messages -------------------------------------------------------------------------------
def test_lock_and_pyproject_are_found_in_parent_folders(project: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    done = ptmlock("install", "--cache-dir", cache, cwd=project / "src")
    assert done.returncode == 0, done.stderr
    verify = ptmlock("verify", "--cache-dir", cache, "--json", cwd=project / "src")
    assert validated(verify, "verify")["lock"] == str(project / "ptm.lock")
    check = ptmlock("check", "--offline", cwd=project / "src")
    assert check.returncode == 0 and f"{project / 'ptm.lock'}: up to date" in check.stdout


def test_a_newer_lock_says_upgrade_ptmlock(tmp_path: Path) -> None:
    lock = tmp_path / "ptm.lock"
    lock.write_text('version = 2\nnew_key = "from the future"\n')
    done = ptmlock("verify", "--lock", str(lock))
    assert done.returncode == 2 and "newer than this ptmlock supports" in done.stderr
    assert "hint: upgrade ptmlock" in done.stderr and "re-create" not in done.stderr


def test_no_such_revision_names_it_and_where_it_is_asked_for(
    tmp_path: Path, store: RepoStore, hf_env: HfEnv
) -> None:
    make_transformers_repo(store, "org/encoder")
    (tmp_path / "app.py").write_text(
        "from transformers import AutoModel\n\n"
        'AutoModel.from_pretrained("org/encoder", revision="v9")\n'
    )
    done = ptmlock("scan", str(tmp_path))
    assert done.returncode == 3
    assert "no such revision 'v9' (asked for at app.py:3)" in done.stderr.splitlines()[0]


def test_a_refused_token_is_told_apart_from_a_missing_one(
    tmp_path: Path, store: RepoStore, hf_env: HfEnv
) -> None:
    make_transformers_repo(store, "org/gated")
    store.set_gated("org/gated", "manual", tokens=["hf_good"])
    (tmp_path / "app.py").write_text(
        'from transformers import AutoModel\nAutoModel.from_pretrained("org/gated")\n'
    )
    anonymous = ptmlock("scan", str(tmp_path))
    assert anonymous.returncode == 3 and "no token was sent" in anonymous.stderr
    assert "hf auth login" in anonymous.stderr
    refused = ptmlock("scan", str(tmp_path), env={"HF_TOKEN": "hf_wrong"})
    assert refused.returncode == 3 and "the token sent was refused" in refused.stderr
    assert "hf_wrong" not in refused.stderr
    good = ptmlock("scan", str(tmp_path), env={"HF_TOKEN": "hf_good"})
    assert good.returncode == 0, good.stderr


# -- one machine interface ------------------------------------------------------------------
def test_json_everywhere_validates_and_failures_are_error_documents(
    project: Path, tmp_path: Path
) -> None:
    lock = str(project / "ptm.lock")
    cache = str(tmp_path / "cache")
    for flag in (("--json",), ("--format", "json")):
        installed = ptmlock("install", "--lock", lock, "--cache-dir", cache, *flag)
        report = validated(installed, "install")
        assert all(isinstance(f["size"], int) for f in report["fetched"] + report["reused"])
        assert validated(ptmlock("verify", "--lock", lock, "--cache-dir", cache, *flag), "verify")
    blob = next((tmp_path / "cache").glob("models--org--encoder/blobs/*"))
    blob.write_bytes(blob.read_bytes() + b"!")
    bad = ptmlock("verify", "--lock", lock, "--cache-dir", cache, "--full", "--json")
    report = validated(bad, "verify")
    assert bad.returncode == 1 and report["ok"] is False
    [problem] = report["problems"]
    assert problem["kind"] == "size" and problem["actual"] == problem["expected"] + 1
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    mirror = str(tmp_path / "own-mirror")
    added = ptmlock("mirror", "add", mirror, "me/model", str(folder), "--tag", "v1", "--json")
    assert validated(added, "mirror-add")["repos"][0]["id"] == "me/model"
    imported = ptmlock("mirror", "import", mirror, "--from-cache", cache, "--json")
    assert {r["id"] for r in validated(imported, "mirror-import")["repos"]} >= {"org/encoder"}
    missing = ptmlock("install", "--lock", str(tmp_path / "nope.lock"), "--json")
    error = validated(missing, "error")
    assert missing.returncode == 2 and error["command"] == "install"
    assert error["error"]["type"] == "LockFileError" and "nope.lock" in error["error"]["message"]
    usage = ptmlock("install", "--jobs", "many", "--json")
    assert usage.returncode == 2 and validated(usage, "error")["error"]["type"] == "UsageError"


def test_every_schema_is_a_valid_json_schema() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert "error.schema.json" in names and "scan-explain.schema.json" in names
    for name in names:
        jsonschema.Draft202012Validator.check_schema(json.loads((SCHEMAS / name).read_text()))


def test_air_gapped_recipe_end_to_end(project: Path, tmp_path: Path) -> None:
    """README "Air-gapped": install where the hub is, `mirror import` the cache, carry the
    folder over, `serve` it there, `install --locked` against it, `verify`."""
    import re
    import signal

    lock = str(project / "ptm.lock")
    connected = tmp_path / "connected-cache"
    assert ptmlock("install", "--lock", lock, "--cache-dir", str(connected)).returncode == 0
    carried = tmp_path / "usb" / "models"
    imported = ptmlock("mirror", "import", str(carried), "--from-cache", str(connected))
    assert imported.returncode == 0 and "org/encoder: 1 snapshot(s)" in imported.stdout
    offline_env = {"HF_ENDPOINT": UNREACHABLE}  # from here on, the original hub is gone
    argv = [sys.executable, "-m", "ptmlock", "serve", str(carried), "--port", "0"]
    env = dict(os.environ) | offline_env
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env) as server:
        try:
            assert server.stdout is not None
            found = re.search(r"at (http://\S+)", server.stdout.readline())
            assert found is not None
            fleet = {"HF_ENDPOINT": found.group(1)}
            cache = str(tmp_path / "fleet-cache")
            args = ("--lock", lock, "--cache-dir", cache)
            done = ptmlock("install", "--locked", *args, env=fleet, cwd=project)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("installed ")
            assert ptmlock("verify", "--full", *args, env=fleet).returncode == 0
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=30) == 0


def test_scan_explain_json_has_the_envelope(project: Path) -> None:
    found = ptmlock("scan", str(project), "--explain", "org/encoder", "--json")
    report = validated(found, "scan-explain")
    assert found.returncode == 0 and report["ok"] is True
    assert [r["line"] for r in report["references"]] == [3]
    absent = ptmlock("scan", str(project), "--explain", "org/absent", "--json")
    assert absent.returncode == 1 and validated(absent, "scan-explain")["ok"] is False
