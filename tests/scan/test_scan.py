"""scan(): what the walk skips, the pre-filter, the cache, the pool, and [tool.ptmlock]."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ptmlock.errors import ConfigError
from ptmlock.models import Reference, Skipped
from ptmlock.project_config import DeclaredModel, ProjectConfig
from ptmlock.scan import scan
from ptmlock.scan.detectors.interface import Detector, FileFacts
from ptmlock.scan.detectors.python import PythonDetector
from ptmlock.scan.python.project import module_names
from ptmlock.scan.scanner import default_cache_dir
from ptmlock.scan.walk import walk_project


class Spy(Detector):
    """Reports ``model: <id>`` lines of ``.py`` files, and records what it read (across processes
    too, through a log file)."""

    name = "python"
    markers = (b"model:",)

    def __init__(self, log: Path) -> None:
        self.log = log

    def handles(self, relpath: str) -> bool:
        return relpath.endswith(".py")

    def read(self, relpath: str, text: str) -> FileFacts:
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(relpath + "\n")
        return FileFacts(
            references=tuple(
                Reference(
                    file=relpath,
                    line=n,
                    hub="huggingface",
                    model=line.split("model:")[1].strip(),
                    api="spy",
                )
                for n, line in enumerate(text.splitlines(), start=1)
                if "model:" in line
            )
        )

    def reads(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").split() if self.log.exists() else []


def tree(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def spy(tmp_path: Path) -> Spy:
    return Spy(tmp_path / "spy.log")


def run(root: Path, spy: Spy, cache_dir: Path | None = None, **kwargs: object) -> list[str]:
    result = scan(root, detectors=[spy], cache_dir=cache_dir, cache=cache_dir is not None,
                  **kwargs)  # type: ignore[arg-type]  # fmt: skip
    return [f"{r.location} {r.model}" for r in result.references]


def test_scan_skips_what_is_not_project_code(tmp_path: Path, spy: Spy) -> None:
    root = tree(
        tmp_path / "p",
        {
            "app.py": "# model: org/app\n",
            ".git/hooks/x.py": "# model: org/git\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/x.py": "# model: org/venv\n",
            ".venv/x.py": "# model: org/venv\n",
            "node_modules/pkg/x.py": "# model: org/node\n",
            "pkg/__pycache__/x.py": "# model: org/cache\n",
            "vendor/lib/x.py": "# model: org/vendor\n",
            "third_party/x.py": "# model: org/vendor\n",
            "external/copied/setup.py": "# model: org/copied\n",
            "external/notes/x.py": "# model: org/external-own\n",
            "sub/.git": "gitdir: ../.git/modules/sub\n",
            "sub/x.py": "# model: org/submodule\n",
            ".gitignore": "build/\n*.gen.py\n!keep.gen.py\n/rootonly.py\n",
            "build/x.py": "# model: org/build\n",
            "a/b.gen.py": "# model: org/generated\n",
            "a/keep.gen.py": "# model: org/kept\n",
            "rootonly.py": "# model: org/rootonly\n",
            "a/rootonly.py": "# model: org/nested-rootonly\n",
            "a/.gitignore": "local_*.py\n",
            "a/local_x.py": "# model: org/local\n",
            "scratch/x.py": "# model: org/scratch\n",
        },
    )
    config = ProjectConfig(exclude=("scratch/**",))
    result = scan(root, config=config, detectors=[spy], cache=False)
    assert [r.model for r in result.references] == ["org/kept", "org/nested-rootonly", "org/app"]
    assert set(result.skipped) == {
        Skipped(path="env/", reason="virtualenv"),
        Skipped(path=".venv/", reason="virtualenv"),
        Skipped(path="node_modules/", reason="node_modules"),
        Skipped(path="vendor/", reason="vendored code"),
        Skipped(path="third_party/", reason="vendored code"),
        Skipped(path="external/", reason="vendored package"),
        Skipped(path="sub/", reason="nested git repository"),
        Skipped(path="build/", reason="gitignored"),
        Skipped(path="a/b.gen.py", reason="gitignored"),
        Skipped(path="rootonly.py", reason="gitignored"),
        Skipped(path="a/local_x.py", reason="gitignored"),
        Skipped(path="scratch/x.py", reason="excluded by tool.ptmlock.exclude"),
    }


def test_scan_of_a_subfolder_honours_the_repository_ignore_rules(tmp_path: Path, spy: Spy) -> None:
    repo = tree(
        tmp_path / "repo",
        {
            ".git/info/exclude": "scratch_*.py\n",
            ".gitignore": "generated/\n/services/api/.old/\n",
            ".github/.gitignore": "x.py\n",
            ".github/app/x.py": "# model: org/dot-folder\n",  # ".github" is not "github"
            "services/.gitignore": "*.local.py\n!keep.local.py\n",
            "services/api/app.py": "# model: org/app\n",
            "services/api/generated/x.py": "# model: org/generated\n",
            "services/api/settings.local.py": "# model: org/local\n",
            "services/api/keep.local.py": "# model: org/kept\n",
            "services/api/scratch_1.py": "# model: org/scratch\n",
            "services/api/.old/x.py": "# model: org/old\n",
            "services/api/.gitignore": "secret.py\n",
            "services/api/secret.py": "# model: org/secret\n",
        },
    )
    result = scan(repo / "services" / "api", detectors=[spy], cache=False)
    assert sorted(r.model or "" for r in result.references) == ["org/app", "org/kept"]
    assert {s.path for s in result.skipped} == {
        "generated/", "settings.local.py", "scratch_1.py", ".old/", "secret.py"
    }  # fmt: skip
    # the same rules as git's, seen from the top: a dot-folder keeps its name
    result = scan(repo / ".github", detectors=[spy], cache=False)
    assert result.references == () and [s.path for s in result.skipped] == ["app/x.py"]


GITIGNORE = """\
*.log
build/
/rootonly.py
docs/**/gen_*.py
!docs/keep/gen_keep.py
a/**/b.py
**/tmp/
data/*.py
!data/important.py
*.py[co]
nested/deep/
\\#hash.py
"""
IGNORE_CASES = (
    "app.py", "rootonly.py", "sub/rootonly.py", "build/x.py", "docs/a/gen_1.py",
    "docs/keep/gen_keep.py", "docs/gen_2.py", "a/b.py", "a/x/y/b.py", "x/tmp/z.py", "tmp/w.py",
    "data/d.py", "data/important.py", "data/sub/e.py", "m.pyc", "nested/deep/q.py",
    "q/nested/deep/r.py", "#hash.py", "services/api/x.local.py", "services/x.local.py",
    "scratch_1.py", "services/api/scratch_2.py",
)  # fmt: skip


def test_scan_walk_ignores_exactly_what_git_ignores(tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git is not None, "git is needed as the reference for ignore rules"
    repo = tmp_path / "repo"
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    files = {
        ".gitignore": GITIGNORE,
        ".git/info/exclude": "scratch_*.py\n",
        "services/.gitignore": "x.local.py\n",
    }
    tree(repo, files | dict.fromkeys(IGNORE_CASES, "# model: org/x\n"))
    status = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=all"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    kept_by_git = sorted(line[3:] for line in status.splitlines() if line.endswith((".py", ".pyc")))
    assert "app.py" in kept_by_git and "data/d.py" not in kept_by_git  # the oracle works
    handles = [lambda relpath: relpath.endswith((".py", ".pyc"))]
    assert walk_project(repo, (), handles).files == kept_by_git
    # from a subfolder, the rules above it still apply
    api = walk_project(repo / "services" / "api", (), handles)
    assert api.files == [] and {s.path for s in api.skipped} == {"x.local.py", "scratch_2.py"}


def test_scan_reads_files_git_tracks_although_a_rule_ignores_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git = shutil.which("git")
    assert git is not None
    repo = tmp_path / "repo"
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    model = '{"model_name_or_path": "org/%s"}\n'
    tree(repo, {
        "presets/.gitignore": "*.json\n!default.json\n",
        "presets/default.json": model % "default", "presets/extra.json": model % "extra",
        "presets/local.json": model % "local",  # ignored and untracked: not the repository's
        ".gitignore": "/models/\n",
        "models/kept/settings.json": model % "kept", "models/scratch.json": model % "scratch",
    })  # fmt: skip
    subprocess.run([git, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([git, "-C", str(repo), "add", "-f", "presets/extra.json",
                    "models/kept/settings.json"], check=True)  # fmt: skip
    handles = [lambda relpath: relpath.endswith(".json")]
    walked = walk_project(repo, (), handles)
    assert walked.files == ["models/kept/settings.json", "presets/default.json",
                            "presets/extra.json"]  # fmt: skip
    reasons = {s.path: s.reason for s in walked.skipped}
    assert reasons["presets/local.json"] == "gitignored"
    assert reasons["models/"] == "gitignored, but for the files git tracks in it"
    # without git on PATH the rules alone decide, as before
    monkeypatch.setenv("PATH", "")
    assert walk_project(repo, (), handles).files == ["presets/default.json"]


def test_scan_module_names_and_folders(tmp_path: Path) -> None:
    """Modules are known by the name Python imports them as (below the last folder that is
    not a package) and by their whole path; a Hub-shaped id naming a folder is a path."""
    assert module_names(["src/pkg/__init__.py", "src/pkg/consts.py", "tool.py"]) == {
        "src/pkg/__init__.py": ("pkg", "src.pkg"),
        "src/pkg/consts.py": ("pkg.consts", "src.pkg.consts"),
        "tool.py": ("tool", "tool"),
    }
    root = tree(
        tmp_path,
        {"src/pkg/__init__.py": "", "src/pkg/consts.py": 'M = "models/bert"\nN = "org/m"\n',
         "tool.py": "from transformers import AutoModel\nfrom pkg.consts import M, N\n"
                    "AutoModel.from_pretrained(M)\nAutoModel.from_pretrained(N)\n",
         "models/bert/config.json": "{}"},
    )  # fmt: skip
    refs = scan(root, cache=False).references
    assert [(r.location, r.model) for r in refs] == [("src/pkg/consts.py:2", "org/m")]


def test_scan_cache_survives_new_deep_folders_not_new_namespaces(tmp_path: Path, spy: Spy) -> None:
    root = tree(tmp_path / "p", {"a.py": "# model: org/a\n", "src/pkg/b.py": "# model: org/b\n"})
    cache = tmp_path / "cache"
    first = run(root, spy, cache)
    (root / "src" / "pkg" / "new_module").mkdir()  # can't be the "org" of a hub id
    assert run(root, spy, cache) == first
    assert sorted(spy.reads()) == ["a.py", "src/pkg/b.py"]
    (root / "org").mkdir()  # "org/a" is now a local path: relinked, but nothing is read again
    assert run(root, spy, cache) == []
    assert sorted(spy.reads()) == ["a.py", "src/pkg/b.py"]


def test_scan_prefilter_reads_only_files_with_markers(tmp_path: Path, spy: Spy) -> None:
    root = tree(tmp_path / "p", {"a.py": "print('hi')\n", "b.py": "# model: org/b\n"})
    assert run(root, spy) == ["b.py:1 org/b"]
    assert spy.reads() == ["b.py"]


def test_scan_cache_makes_rescans_read_nothing(tmp_path: Path, spy: Spy) -> None:
    root = tree(tmp_path / "p", {"a.py": "# model: org/a\n", "b.py": "# model: org/b\n"})
    cache = tmp_path / "cache"
    first = run(root, spy, cache)
    assert run(root, spy, cache) == first
    assert sorted(spy.reads()) == ["a.py", "b.py"]
    (root / "b.py").write_text("# model: org/b2\n", encoding="utf-8")
    assert run(root, spy, cache) == ["a.py:1 org/a", "b.py:1 org/b2"]
    assert sorted(spy.reads()) == ["a.py", "b.py", "b.py"]


def test_scan_rescan_of_old_unchanged_files_reads_nothing(
    tmp_path: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path / "p", {"a.py": "# model: org/a\n", "b.yaml": "x: 1\n"})
    an_hour_ago = time.time() - 3600
    for path in root.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    cache = tmp_path / "cache"
    first = run(root, spy, cache)

    def no_reading(path: str) -> bytes:
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr("ptmlock.scan.scanner._read", no_reading)
    assert run(root, spy, cache) == first
    assert spy.reads() == ["a.py"]


def test_scan_edit_rereads_only_the_edited_file_and_relinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Facts are per file content; linking runs again over all of them, so a constant edited
    in an imported module changes the reference without re-reading its importers."""
    root = tree(
        tmp_path / "p",
        {
            "app.py": "from transformers import AutoModel\nfrom pkg.settings import NAME\n"
                      "AutoModel.from_pretrained(NAME)\n",
            "pkg/__init__.py": "",
            "pkg/settings.py": "from .defaults import BASE\nNAME = BASE\n",
            "pkg/defaults.py": "BASE = 'org/b'\n",
        },
    )  # fmt: skip
    cache = tmp_path / "cache"
    first = scan(root, cache_dir=cache).references
    assert [(r.location, r.model) for r in first] == [("pkg/defaults.py:1", "org/b")]
    read: list[str] = []
    original = PythonDetector.read

    def counting(self: PythonDetector, relpath: str, text: str) -> FileFacts:
        read.append(relpath)
        return original(self, relpath, text)

    monkeypatch.setattr(PythonDetector, "read", counting)
    (root / "pkg/defaults.py").write_text("BASE = 'org/c'\n", encoding="utf-8")
    again = scan(root, cache_dir=cache).references
    assert [(r.location, r.model) for r in again] == [("pkg/defaults.py:1", "org/c")]
    assert read == ["pkg/defaults.py"]
    assert again[0].chain[-1] == "app.py:3 transformers.AutoModel.from_pretrained()"


def test_scan_cache_survives_a_corrupt_file(tmp_path: Path, spy: Spy) -> None:
    root = tree(tmp_path / "p", {"a.py": "# model: org/a\n"})
    cache = tmp_path / "cache"
    run(root, spy, cache)
    for path in cache.iterdir():
        path.write_text("{not json", encoding="utf-8")
    assert run(root, spy, cache) == ["a.py:1 org/a"]


def test_scan_pool_matches_in_process(tmp_path: Path, spy: Spy) -> None:
    files = {f"m{i:03}/f.py": f"x = 1\n# model: org/m{i}\n" for i in range(120)}
    root = tree(tmp_path / "p", files)
    serial = run(root, spy, jobs=1)
    parallel = run(root, spy, jobs=2)
    assert parallel == serial
    assert len(serial) == 120
    assert serial == sorted(serial, key=lambda s: s.split(" ")[0].split(":")[0])


def test_scan_ignore_declared_families_and_order(tmp_path: Path, spy: Spy) -> None:
    root = tree(
        tmp_path / "p",
        {
            "pyproject.toml": '[tool.ptmlock]\nmodels = ["openai/whisper-small"]\n',
            "b.py": "# model: org/drop\n# model: google-bert/bert-base-uncased\n# model: x/y\n",
            "a.py": "# model: org/z\n# model: org/a\n",
        },
    )
    config = ProjectConfig(
        models=(DeclaredModel(id="openai/whisper-small", revision="v1"),),
        ignore=("org/drop", "b.py:3"),
    )
    result = scan(root, config=config, detectors=[spy], cache=False)
    summary = [(r.location, r.model, r.family, r.modality, r.how) for r in result.references]
    assert summary == [
        ("a.py:1", "org/z", None, None, "literal"),
        ("a.py:2", "org/a", None, None, "literal"),
        ("b.py:2", "google-bert/bert-base-uncased", "BERT", "text", "literal"),
        ("pyproject.toml:2", "openai/whisper-small", "Whisper", "audio", "declared"),
    ]
    assert result.references[-1].revision == "v1"


def test_scan_reads_tool_ptmlock_by_default(tmp_path: Path, spy: Spy) -> None:
    root = tree(
        tmp_path / "p",
        {"pyproject.toml": '[tool.ptmlock]\nexclude = ["old/"]\n', "old/a.py": "# model: a/b\n"},
    )
    result = scan(root, detectors=[spy], cache=False)
    assert result.references == ()
    assert result.skipped == (Skipped(path="old/", reason="excluded by tool.ptmlock.exclude"),)


def test_scan_skips_large_and_binary_files(tmp_path: Path, spy: Spy) -> None:
    root = tree(tmp_path / "p", {"ok.py": "# model: a/b\n"})
    (root / "blob.py").write_bytes(b"\0\1# model: bin/ary\n")
    (root / "huge.py").write_bytes(b"# model: huge/file\n" + b"#" * (5 << 20))
    result = scan(root, detectors=[spy], cache=False)
    assert [r.model for r in result.references] == ["a/b"]
    assert (
        Skipped(path="huge.py", reason="larger than 4 MB (raise PTMLOCK_MAX_FILE_BYTES to read it)")
        in result.skipped
    )


def test_scan_with_the_default_detectors(tmp_path: Path) -> None:
    root = tree(
        tmp_path / "p",
        {
            "conf/train.yaml": "model_name_or_path: FacebookAI/roberta-base\n",
            "scripts/get.sh": "hf download openai/whisper-tiny\n",
            "README.md": "Uses [BGE](https://huggingface.co/BAAI/bge-small-en-v1.5).\n",
        },
    )
    result = scan(root, cache=False)
    assert [(r.location, r.model, r.family) for r in result.references] == [
        ("README.md:1", "BAAI/bge-small-en-v1.5", "BGE"),
        ("conf/train.yaml:1", "FacebookAI/roberta-base", "RoBERTa"),
        ("scripts/get.sh:1", "openai/whisper-tiny", "Whisper"),
    ]
    assert result.files_scanned == 3


def test_default_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "ptmlock" / "scan"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "ptmlock" / "scan"


def test_scan_imports_resolve_by_python_module_names_in_nested_projects(tmp_path: Path) -> None:
    """``services/bot/supportbot/x.py`` is imported as ``supportbot.x`` (the folders above
    the package have no ``__init__.py``), as in src/ layouts and monorepos."""
    package = tmp_path / "services" / "bot" / "supportbot"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text('EMBEDDER = "org/embedder"\n')
    (package / "app.py").write_text(
        "from sentence_transformers import SentenceTransformer\n"
        "from supportbot.settings import EMBEDDER\n"
        "from .settings import EMBEDDER as SAME\n"
        "SentenceTransformer(EMBEDDER)\n"
        "SentenceTransformer(SAME)\n"
    )
    refs = scan(tmp_path, cache=False).references
    assert [(r.file, r.line, r.model) for r in refs] == [
        ("services/bot/supportbot/settings.py", 1, "org/embedder"),
    ]
    assert refs[0].chain[-1].startswith("services/bot/supportbot/app.py:")


def _edit(path: Path, text: str) -> None:
    """Write ``text`` with an mtime the stat record can trust (older than the racy window)."""
    path.write_text(textwrap.dedent(text))
    old = time.time() - 60
    os.utime(path, (old, old))


def test_an_edit_relinks_what_read_the_file_and_keeps_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, cache = tmp_path / "p", tmp_path / "cache"
    (root / "pkg").mkdir(parents=True)
    _edit(root / "pkg/__init__.py", "")
    _edit(root / "pkg/names.py", 'BASE = "org/base-v1"\n')
    _edit(
        root / "pkg/load.py",
        """
        from transformers import AutoModel
        from pkg.names import BASE

        def fetch(name):
            return AutoModel.from_pretrained(name)

        def base():
            return AutoModel.from_pretrained(BASE)
    """,
    )
    _edit(
        root / "pkg/other.py",
        'from transformers import AutoModel\nAutoModel.from_pretrained("org/x")\n',
    )
    _edit(root / "app.py", 'from pkg.load import fetch\nfetch("org/first")\n')

    def models(relinked: list[str] | None = None) -> set[str | None]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="ptmlock.scan.python.linker"):
            found = scan(root, cache_dir=cache, jobs=1).references
        if relinked is not None:
            assert f"linked {relinked};" in caplog.text
        assert {r.model for r in found} == {
            r.model for r in scan(root, cache=False, jobs=1).references
        }  # the kept links give what a scan from nothing gives
        return {r.model for r in found}

    assert models() == {"org/base-v1", "org/x", "org/first"}
    _edit(root / "pkg/names.py", 'BASE = "org/base-v2"\n')  # read by load.py's walk
    assert models(relinked=["pkg/load.py"]) == {"org/base-v2", "org/x", "org/first"}
    _edit(root / "app.py", 'from pkg.load import fetch\nfetch("org/second")\n')  # a caller
    assert models(relinked=["pkg/load.py"]) == {"org/base-v2", "org/x", "org/second"}
    # a module nothing read before starts calling the wrapper
    _edit(root / "pkg/other.py", 'from pkg.load import fetch\nfetch("org/y")\n')
    assert models(relinked=["pkg/load.py"]) == {
        "org/base-v2", "org/y", "org/second",
    }  # fmt: skip
    _edit(root / "tool.py", 'from pkg.load import fetch\nfetch("org/third")\n')  # a new module
    assert models() == {"org/base-v2", "org/y", "org/second", "org/third"}
    # a comment appended leaves what the linker sees of the module as it was: nothing relinks
    _edit(root / "pkg/names.py", 'BASE = "org/base-v2"\n# the base model\n')
    assert models(relinked=[]) == {"org/base-v2", "org/y", "org/second", "org/third"}


def test_references_at_one_site_print_in_one_order_whatever_order_they_came_in() -> None:
    import itertools

    from ptmlock.scan.scanner import _order

    base = Reference(file="a.py", line=3, hub="huggingface", model=None, api="x.load")
    refs = [
        replace(base, reason="parameter 'self' has no default", chain=("a.py:1 x",)),
        replace(base, reason="parameter 'audio' has no default", chain=("a.py:2 y",)),
        replace(base, reason="parameter 'audio' has no default", chain=("a.py:1 x",)),
    ]
    orders = {tuple(sorted(p, key=_order)) for p in itertools.permutations(refs)}
    assert len(orders) == 1


def test_a_scan_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    """The scan pauses Python's cycle collector (its passes over the summaries cost half a
    relink) and turns it back on afterwards, also when the scan fails."""
    (tmp_path / "app.py").write_text('AutoModel.from_pretrained("org/model")\n')
    assert gc.isenabled()
    scan(tmp_path, cache=False)
    assert gc.isenabled()
    (tmp_path / "pyproject.toml").write_text("[tool.ptmlock]\nexclude = 3\n")
    with pytest.raises(ConfigError):
        scan(tmp_path, cache=False)
    assert gc.isenabled()
