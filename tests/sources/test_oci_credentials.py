"""Registry credentials where ``docker login`` puts them: config.json auths, credential helpers."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.sources.oci_credentials import Credentials, find_credentials


def _config(folder: Path, data: object) -> None:
    (folder / "config.json").write_text(json.dumps(data))


def _auth(pair: str) -> str:
    return base64.b64encode(pair.encode()).decode()


@pytest.mark.parametrize(
    "key", ["reg.internal:5000", "https://reg.internal:5000/v1/", "REG.internal:5000"]
)
def test_an_auths_entry_is_found_under_any_spelling_of_the_host(
    _no_docker_login: Path, key: str
) -> None:
    _config(_no_docker_login, {"auths": {key: {"auth": _auth("bot:pa:ss")}}})
    assert find_credentials("reg.internal:5000") == Credentials("bot", "pa:ss")
    assert find_credentials("other:5000") is None


def test_username_and_password_fields_work_too(_no_docker_login: Path) -> None:
    _config(_no_docker_login, {"auths": {"h": {"username": "u", "password": "p"}}})
    assert find_credentials("h") == Credentials("u", "p")


def test_no_config_file_means_no_credentials(_no_docker_login: Path) -> None:
    assert find_credentials("h") is None


def test_the_password_is_never_in_a_repr() -> None:
    assert "secret" not in repr(Credentials("u", "secret"))


@pytest.mark.parametrize(
    ("content", "problem"),
    [("{not json", "not a readable Docker config"), ('["a"]', "expected a JSON object")],
)
def test_a_broken_config_is_one_line_naming_it(
    _no_docker_login: Path, content: str, problem: str
) -> None:
    (_no_docker_login / "config.json").write_text(content)
    with pytest.raises(errors.ConfigError, match=problem) as caught:
        find_credentials("h")
    assert str(_no_docker_login / "config.json") in str(caught.value)


def test_an_auth_that_is_not_base64_of_a_pair_is_named(_no_docker_login: Path) -> None:
    _config(_no_docker_login, {"auths": {"h": {"auth": _auth("no-colon")}}})
    with pytest.raises(errors.ConfigError, match=r"auths\.h\.auth is not base64"):
        find_credentials("h")


def _helper(folder: Path, name: str, script: str) -> None:
    path = folder / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_a_credential_helper_is_asked_with_the_host_on_stdin(
    _no_docker_login: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    answer = '{"ServerURL": "reg:5000", "Username": "bot", "Secret": "t0ken"}'
    _helper(
        bin_dir,
        "store",
        f'read host; [ "$1" = get ] && [ "$host" = reg:5000 ] && echo \'{answer}\'\n',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    _config(_no_docker_login, {"auths": {"reg:5000": {}}, "credHelpers": {"reg:5000": "store"}})
    assert find_credentials("reg:5000") == Credentials("bot", "t0ken")
    _config(_no_docker_login, {"credsStore": "store"})
    assert find_credentials("reg:5000") == Credentials("bot", "t0ken")
    assert find_credentials("other") is None  # the helper exits 1: no credentials


def test_a_missing_helper_or_an_identity_token_is_a_warning_not_a_failure(
    _no_docker_login: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _config(_no_docker_login, {"credsStore": "not-installed-anywhere"})
    with caplog.at_level(logging.WARNING):
        assert find_credentials("h") is None
        _config(_no_docker_login, {"auths": {"h": {"identitytoken": "opaque"}}})
        assert find_credentials("h") is None
    assert "docker-credential-not-installed-anywhere is not installed" in caplog.text
    assert "identity tokens are not supported" in caplog.text
    assert "opaque" not in caplog.text
