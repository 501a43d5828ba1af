"""URL mirrors: longest prefix wins, the environment over the project, bad pairs refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.project_config import load_config
from ptmlock.url_mirrors import UrlMirrors, parse_pairs


def test_longest_prefix_wins_and_restore_maps_back() -> None:
    mirrors = UrlMirrors.of(
        {
            "https://download.pytorch.org/": "https://proxy/all/",
            "https://download.pytorch.org/models/": "https://proxy/models/",
        }
    )
    assert mirrors.rewrite("https://download.pytorch.org/models/a.pth") == (
        "https://proxy/models/a.pth"
    )
    assert mirrors.rewrite("https://download.pytorch.org/whl/x") == "https://proxy/all/whl/x"
    assert mirrors.rewrite("https://example.com/a.pth") == "https://example.com/a.pth"
    assert mirrors.restore("https://proxy/models/b.pth") == (
        "https://download.pytorch.org/models/b.pth"
    )


def test_environment_wins_over_the_project_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTMLOCK_URL_MIRRORS", "https://a.example/=https://env.example/")
    mirrors = UrlMirrors.from_environment({"https://a.example/": "https://project.example/"})
    assert mirrors.rewrite("https://a.example/x") == "https://env.example/x"


@pytest.mark.parametrize("text", ["https://a.example/", "ftp://a/=https://b/", "x=https://b/"])
def test_bad_pairs_are_one_line_errors(text: str) -> None:
    with pytest.raises(errors.ConfigError, match="PTMLOCK_URL_MIRRORS"):
        parse_pairs(text)


def test_project_table_is_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ptmlock.url-mirrors]\n"https://download.pytorch.org/" = "https://proxy/pt/"\n'
    )
    assert load_config(tmp_path).url_mirrors == (
        ("https://download.pytorch.org/", "https://proxy/pt/"),
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ptmlock.url-mirrors]\n"https://download.pytorch.org/" = "not a url"\n'
    )
    with pytest.raises(errors.ConfigError, match=r"pyproject\.toml: tool\.ptmlock\.url-mirrors"):
        load_config(tmp_path)
