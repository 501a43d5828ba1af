"""[tool.ptmlock]: parsing with one-line errors, and edits that keep the user's formatting."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ptmlock.errors import ConfigError
from ptmlock.project_config import (
    DeclaredModel,
    ProjectConfig,
    add_ignore,
    add_model,
    load_config,
)

STYLED = """\
# Project file -- hand formatted; keep my comments!
[project]
name    =   "demo"      # aligned on purpose
version = '0.1.0'
dependencies = [
  "transformers>=4.40",   # the loader
]

[tool.ptmlock]
exclude = [ "experiments/**" ]   # scratch work

[[tool.ptmlock.models]]
id      = "acme/ranker"    # built at run time
revision = "v1"

[tool.ruff]
line-length = 100
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_config_reads_every_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        [tool.ptmlock]
        exclude = ["legacy/"]
        ignore = ["gpt2", "scripts/demo.py:12"]
        models = [
          "sentence-transformers/all-MiniLM-L6-v2",
          {id = "https://example.org/w.pt", hub = "url", library = "url"},
        ]
        """,
    )
    assert load_config(tmp_path) == ProjectConfig(
        models=(
            DeclaredModel(id="sentence-transformers/all-MiniLM-L6-v2"),
            DeclaredModel(id="https://example.org/w.pt", hub="url", library="url"),
        ),
        exclude=("legacy/",),
        ignore=("gpt2", "scripts/demo.py:12"),
    )


def test_load_config_without_file_or_table(tmp_path: Path) -> None:
    assert load_config(tmp_path) == ProjectConfig()
    write(tmp_path, '[project]\nname = "x"\n')
    assert load_config(tmp_path) == ProjectConfig()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('exclude = "x"', "tool.ptmlock.exclude"),
        ("ignore = [1]", "tool.ptmlock.ignore"),
        ("colour = 1", "tool.ptmlock.colour"),
        ("models = [{revision = 'v1'}]", "tool.ptmlock.models[0].id"),
        ("models = [{id = 'a/b', hub = 'gitlab'}]", "tool.ptmlock.models[0].hub"),
        ("models = [{id = 'a/b', patterns = '*.bin'}]", "tool.ptmlock.models[0].patterns"),
        ("models = [{id = 'a/b', sha = 'x'}]", "tool.ptmlock.models[0].sha"),
        ("models = {id = 'a/b'}", "tool.ptmlock.models"),
    ],
)
def test_load_config_errors_name_file_and_key(tmp_path: Path, body: str, where: str) -> None:
    write(tmp_path, f"[tool.ptmlock]\n{body}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"pyproject.toml: {where}:")
    assert "\n" not in message


def test_load_config_invalid_toml(tmp_path: Path) -> None:
    write(tmp_path, "[tool.ptmlock\n")
    with pytest.raises(ConfigError, match=r"^pyproject.toml: not valid TOML"):
        load_config(tmp_path)


def test_add_model_keeps_formatting_byte_for_byte(tmp_path: Path) -> None:
    path = write(tmp_path, STYLED)
    add_model(path, "BAAI/bge-small-en-v1.5", revision="main", patterns=("*.safetensors",))
    added = (
        '[[tool.ptmlock.models]]\nid = "BAAI/bge-small-en-v1.5"\nrevision = "main"\n'
        'patterns = ["*.safetensors"]\n\n'
    )
    assert path.read_text(encoding="utf-8") == STYLED.replace("[tool.ruff]", added + "[tool.ruff]")
    assert load_config(tmp_path).models[-1] == DeclaredModel(
        id="BAAI/bge-small-en-v1.5", revision="main", patterns=("*.safetensors",)
    )


def test_add_model_replaces_same_id(tmp_path: Path) -> None:
    path = write(tmp_path, STYLED)
    add_model(path, "acme/ranker", revision="v2")
    assert [m.revision for m in load_config(tmp_path).models] == ["v2"]


def test_add_ignore_keeps_formatting_and_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path, STYLED)
    add_ignore(path, "scripts/demo.py:12")
    add_ignore(path, "scripts/demo.py:12")
    after = path.read_text(encoding="utf-8")
    assert after == STYLED.replace(
        "# scratch work\n", '# scratch work\nignore = ["scripts/demo.py:12"]\n'
    )
    assert load_config(tmp_path).ignore == ("scripts/demo.py:12",)


def test_add_to_a_pyproject_without_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\n')
    add_ignore(path, "gpt2")
    add_model(path, "openai/whisper-small")
    add_model(path, "gpt2", hub="huggingface", library="transformers")
    assert path.read_text(encoding="utf-8") == (
        '[project]\nname = "x"\n\n[tool.ptmlock]\nignore = ["gpt2"]\n\n'
        '[[tool.ptmlock.models]]\nid = "openai/whisper-small"\n\n'
        '[[tool.ptmlock.models]]\nid = "gpt2"\nlibrary = "transformers"\n'
    )
    config = load_config(tmp_path)
    assert config.ignore == ("gpt2",)
    assert config.models == (DeclaredModel(id="openai/whisper-small"), DeclaredModel(id="gpt2"))


def test_edits_are_atomic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    path = write(tmp_path, STYLED)
    path.chmod(0o640)
    add_model(path, "gpt2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]
    assert path.stat().st_mode & 0o777 == 0o640


def test_edit_rejects_invalid_toml_without_touching_it(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.ptmlock\n")
    with pytest.raises(ConfigError):
        add_ignore(path, "gpt2")
    assert path.read_text(encoding="utf-8") == "[tool.ptmlock\n"


def test_load_config_reads_mirrors_and_hub_fallback(tmp_path: Path) -> None:
    write(
        tmp_path, '[tool.ptmlock]\nmirrors = ["oci://r:5000/m", "oci://s/m"]\nhub-fallback = true\n'
    )
    config = load_config(tmp_path)
    assert (config.mirrors, config.hub_fallback) == (("oci://r:5000/m", "oci://s/m"), True)
    assert load_config(tmp_path / "nowhere").hub_fallback is False
    for body, where in [
        ('mirrors = "oci://r/m"', "tool.ptmlock.mirrors"),
        ('hub-fallback = "yes"', "tool.ptmlock.hub-fallback"),
    ]:
        write(tmp_path, f"[tool.ptmlock]\n{body}\n")
        with pytest.raises(ConfigError, match=f"^pyproject.toml: {where}: expected"):
            load_config(tmp_path)
