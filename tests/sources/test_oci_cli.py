"""The command line of push and install --from: help, and bad locations in one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.lockfile import write_lock
from ptmlock.models import Lock


@pytest.mark.parametrize("command", ["push", "install"])
def test_help_explains_registries(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--insecure" in out and "oci://" in out


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["push", "https://reg/ns"], "'https://reg/ns': not an OCI registry location"),
        (["push", "oci://reg/Bad_"], "oci://reg/Bad_: 'Bad_' is not a valid repository name part"),
        (["install", "--from", "s3://bucket/x"], "'s3://bucket/x': not a source ptmlock knows"),
    ],
)
def test_a_bad_location_is_one_line_and_exit_2(
    args: list[str], problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "ptm.lock"
    write_lock(Lock(), lock)
    assert main([*args, "--lock", str(lock)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"ptmlock: error: {problem}"
