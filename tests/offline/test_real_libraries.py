"""The central claim, with the real libraries: after `ptmlock scan` + `ptmlock install`, the
unmodified application loads every model with HF_HUB_OFFLINE=1 and the hub gone.

Tiny real models are built by transformers, sentence-transformers, diffusers, timm, open_clip
and PEFT themselves (tests/offline/repos.py) and served by `ptmlock serve` (a subprocess on
127.0.0.1). A small application (tests/offline/app) goes through `ptmlock scan` and
`ptmlock install`; the server is stopped; each of the application's loading functions runs in
a fresh process with HF_HUB_OFFLINE=1. Then the same functions run online, each into a fresh
cache, and what the library fetched (snapshot files) and recorded as missing (``.no_exist``)
is compared with the lock: a library version that reads a new file fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ptmlock.lockfile import read_lock
from ptmlock.models import Lock, LockedModel

# each load is a fresh process importing torch: minutes in all on 2 shared cores
pytestmark = [pytest.mark.real_libraries, pytest.mark.timeout(2400)]

APP = Path(__file__).resolve().parent / "app"

# module:function of every loading entry point of the app, with the Hub ids each one loads
LOADS: dict[str, tuple[str, ...]] = {
    "gallery.text:load_query_tokenizer": ("tiny/tokenizer-only",),
    "gallery.text:load_encoder": ("tiny/bert",),
    "gallery.text:load_tagger": ("tiny/classifier",),
    "gallery.text:load_chat": ("tiny/gpt2",),
    "gallery.text:load_custom_model": ("tiny/remote-code",),
    "gallery.text:load_custom_model_shared_code": ("tiny/remote-elsewhere", "tiny/remote-code"),
    "gallery.search:load_embedder": ("tiny/embedder",),
    "gallery.images:load_thumbnailer": ("tiny/ddpm",),
    "gallery.images:load_image_tagger": ("tiny/timm",),
    "gallery.images:load_named_backbone": ("timm/test_efficientnet.r160_in1k",),
    "gallery.images:load_matcher": ("tiny/clip",),
    "gallery.images:load_siglip_matcher": ("tiny/siglip-like",),
    "gallery.images:load_matcher_shared_tokenizer": (
        "tiny/clip-shared-tokenizer",
        "tiny/tokenizer-only",
    ),
    "gallery.adapters:load_tuned_encoder": ("tiny/lora", "tiny/bert"),
}

DEAD_ENDPOINT = "http://127.0.0.1:9"  # refused at once: no hub


@dataclass(frozen=True)
class Installed:
    lock: Lock
    lock_path: Path
    store: Path
    app: Path
    home: Path  # HF_HOME the install wrote into
    scan_output: str


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= {"HF_HUB_DISABLE_TELEMETRY": "1", "TRANSFORMERS_VERBOSITY": "error"} | extra
    return env


def _ptmlock(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ptmlock", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"ptmlock {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store of tiny repos the libraries saved (built once per run, in a process of its own:
    the libraries' deprecation warnings are theirs, not this suite's)."""
    root = tmp_path_factory.mktemp("real-libraries")
    store, work = root / "mirror", root / "work"
    done = subprocess.run(
        [sys.executable, "-m", "tests.offline.repos", str(store), str(work)],
        env=_env(HF_HUB_OFFLINE="1"),
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return store


class Serve:
    """`ptmlock serve STORE --port 0` in a subprocess, for as long as the ``with`` lasts."""

    def __init__(self, store: Path) -> None:
        self.store = store

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ptmlock", "serve", str(self.store), "--port", "0"],
            env=_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
        assert match, f"ptmlock serve said {line!r}"
        return match.group(1)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture(scope="module")
def installed(served: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The app scanned and installed against `ptmlock serve`; the server is stopped after."""
    root = tmp_path_factory.mktemp("installed")
    app = root / "app"
    shutil.copytree(APP, app)
    home = root / "hf-home"
    lock_path = root / "ptm.lock"
    with Serve(served) as url:
        env = _env(HF_ENDPOINT=url, HF_HOME=str(home), XDG_CACHE_HOME=str(root / "xdg"))
        scan_output = _ptmlock(env, "scan", str(app), "--lock", str(lock_path))
        _ptmlock(env, "install", "--lock", str(lock_path), "-q")
    yield Installed(read_lock(lock_path), lock_path, served, app, home, scan_output)


def _run_load(load: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    module, function = load.split(":")
    code = f"import {module} as m; print('loaded:', m.{function}())"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"PYTHONPATH": str(APP)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_scan_locks_every_model_the_app_loads_and_what_they_require(
    installed: Installed,
) -> None:
    ids = {m.id for m in installed.lock.models}
    assert ids == {i for loaded in LOADS.values() for i in loaded}
    required = {m.id: m.required_by for m in installed.lock.models if m.required_by}
    assert required["tiny/remote-code"] == ("tiny/remote-elsewhere",)  # auto_map elsewhere
    assert "tiny/clip-shared-tokenizer" in required["tiny/tokenizer-only"]  # hf_tokenizer_name
    assert required["tiny/bert"] == ("tiny/lora",)  # the adapter's base model
    assert "warning:" not in installed.scan_output  # no unresolved loader site


@pytest.mark.parametrize("load", sorted(LOADS))
def test_app_loads_offline_after_install(installed: Installed, load: str) -> None:
    env = _env(HF_HOME=str(installed.home), HF_HUB_OFFLINE="1", HF_ENDPOINT=DEAD_ENDPOINT)
    done = _run_load(load, env)
    assert done.returncode == 0, f"{load} failed offline:\n{done.stderr[-3000:]}"
    assert "loaded:" in done.stdout


@dataclass(frozen=True)
class Opened:
    files: set[str]
    absent: set[str]


def _opened(home: Path) -> dict[str, Opened]:
    """Per repo id: the snapshot files a library fetched and the .no_exist entries it wrote."""
    found: dict[str, Opened] = {}
    for repo in sorted((home / "hub").glob("models--*")):
        model_id = repo.name.removeprefix("models--").replace("--", "/")
        files = {
            p.relative_to(snap).as_posix()
            for snap in (repo / "snapshots").glob("*")
            for p in snap.rglob("*")
            if not p.is_dir()
        }
        absent = {
            p.relative_to(commit).as_posix()
            for commit in (repo / ".no_exist").glob("*")
            for p in commit.rglob("*")
            if p.is_file()
        }
        found[model_id] = Opened(files, absent)
    return found


@pytest.fixture(scope="module")
def opened_online(
    installed: Installed, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Opened]]:
    """Each load run online into a fresh cache: {load: {repo id: what it opened}}."""
    root = tmp_path_factory.mktemp("online")
    result = {}
    with Serve(installed.store) as url:
        for index, load in enumerate(sorted(LOADS)):
            home = root / f"home-{index}"
            done = _run_load(load, _env(HF_ENDPOINT=url, HF_HOME=str(home)))
            assert done.returncode == 0, f"{load} failed online:\n{done.stderr[-3000:]}"
            result[load] = _opened(home)
    return result


def _model(lock: Lock, model_id: str) -> LockedModel:
    model = lock.find("huggingface", model_id)
    assert model is not None, model_id
    return model


def test_lock_holds_exactly_the_files_the_libraries_open(
    installed: Installed, opened_online: dict[str, dict[str, Opened]]
) -> None:
    """Online into a fresh cache, the app's loads open exactly the locked files of each model
    (nothing more: the lock lacks nothing; nothing less: no unread gigabytes installed)."""
    union: dict[str, set[str]] = {}
    for load, repos in opened_online.items():
        assert set(repos) == set(LOADS[load]), f"{load} opened repos {sorted(repos)}"
        for model_id, opened in repos.items():
            locked = {f.path for f in _model(installed.lock, model_id).files}
            assert opened.files <= locked, f"{load}: {model_id}: not locked"
            union.setdefault(model_id, set()).update(opened.files)
    for model in installed.lock.models:
        locked = {f.path for f in model.files}
        extra = locked - union[model.id] - {"README.md"}  # card facts; ST reads it (optional)
        assert not extra, f"{model.id}: locked but no load opens {sorted(extra)}"


def test_lock_records_every_missing_file_the_libraries_probe(
    installed: Installed, opened_online: dict[str, dict[str, Opened]]
) -> None:
    """Every ``.no_exist`` entry a library writes online is in the lock's ``absent`` (and so
    written at install), and every ``absent`` path is truly not in the repo."""
    for load, repos in opened_online.items():
        for model_id, opened in repos.items():
            model = _model(installed.lock, model_id)
            missing = opened.absent - set(model.absent)
            assert not missing, f"{load}: {model_id}: probes {sorted(missing)}, not in the lock"
            assert not set(model.absent) & {f.path for f in model.files}


def test_install_wrote_the_negative_cache_markers(installed: Installed) -> None:
    model = _model(installed.lock, "tiny/tokenizer-only")
    assert "config.json" in model.absent
    marker = (
        installed.home
        / "hub"
        / "models--tiny--tokenizer-only"
        / ".no_exist"
        / model.revision
        / "config.json"
    )
    assert marker.is_file() and marker.stat().st_size == 0


def test_remote_code_and_its_imports_are_locked(installed: Installed) -> None:
    here = {f.path for f in _model(installed.lock, "tiny/remote-code").files}
    assert {"configuration_tiny.py", "modeling_tiny.py", "helpers_tiny.py"} <= here
    elsewhere = _model(installed.lock, "tiny/remote-elsewhere")
    assert [r.id for r in elsewhere.requires] == ["tiny/remote-code"]


# -- each supported transformers major ---------------------------------------------------------
# transformers 4.x needs huggingface_hub 0.x, so it lives in a venv of its own (.ci/setup makes
# it); both read the cache ptmlock wrote. 4.x asks for tokenizer files by the class's
# vocab_files_names and the legacy special_tokens_map.json / added_tokens.json, 5.x for
# tokenizer.json first: the lock's `absent` must cover the probes of both.
TRANSFORMERS_4 = Path(__file__).resolve().parents[2] / ".venv-transformers4" / "bin" / "python"
TOKENIZER_REPOS = ("tiny/tokenizer-only", "tiny/bert", "tiny/gpt2", "tiny/siglip-like")
_TOKENIZE = """
import sys, transformers
from transformers import AutoTokenizer
for repo in sys.argv[1:]:
    tokenizer = AutoTokenizer.from_pretrained(repo)
    print(transformers.__version__, repo, type(tokenizer).__name__, tokenizer("ab")["input_ids"])
"""


def _python(major: str) -> str:
    if major == "5":
        return sys.executable
    assert TRANSFORMERS_4.is_file(), f"{TRANSFORMERS_4} missing: run .ci/setup"
    return str(TRANSFORMERS_4)


def _tokenize(major: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_python(major), "-c", _TOKENIZE, *TOKENIZER_REPOS],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("major", ["4", "5"])
def test_tokenizers_load_offline_with_each_transformers_major(
    installed: Installed, major: str
) -> None:
    env = _env(HF_HOME=str(installed.home), HF_HUB_OFFLINE="1", HF_ENDPOINT=DEAD_ENDPOINT)
    done = _tokenize(major, env)
    assert done.returncode == 0, f"transformers {major}.x offline:\n{done.stderr[-3000:]}"
    lines = done.stdout.splitlines()
    assert len(lines) == len(TOKENIZER_REPOS) and all(line.startswith(major) for line in lines)


@pytest.mark.parametrize("major", ["4", "5"])
def test_lock_covers_what_each_transformers_major_probes(
    installed: Installed, major: str, tmp_path: Path
) -> None:
    home = tmp_path / "online"
    with Serve(installed.store) as url:
        done = _tokenize(major, _env(HF_ENDPOINT=url, HF_HOME=str(home)))
    assert done.returncode == 0, done.stderr[-3000:]
    for model_id, opened in _opened(home).items():
        model = _model(installed.lock, model_id)
        assert opened.files <= {f.path for f in model.files}, f"{major}.x: {model_id}"
        assert opened.absent <= set(model.absent), f"{major}.x: {model_id}"
