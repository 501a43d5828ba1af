"""Registry credentials, read where ``docker login`` (and podman, oras, crane) put them.

``$DOCKER_CONFIG/config.json`` (default ``~/.docker/config.json``): an ``auths`` entry for the
host with ``auth`` (base64 of ``user:password``) or ``username``/``password``; else the
credential helper ``credHelpers[host]`` or ``credsStore`` (the program
``docker-credential-<name> get``, host on stdin). Identity tokens (the OAuth2 refresh-token
grant some cloud registries hand out) are not supported: log in with a password or token then.
Credentials are only ever held in memory; they never reach the lock, an SBOM, a log line or an
error message.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ptmlock.errors import ConfigError

__all__ = ["Credentials", "docker_config_path", "find_credentials"]

log = logging.getLogger(__name__)
HELPER_TIMEOUT = 30.0  # seconds a credential helper may take (it may ask a keyring)


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str = field(repr=False)  # never shown, even in a debug repr


def docker_config_path() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def find_credentials(host: str) -> Credentials | None:
    """The credentials for ``host`` (``name[:port]``), or None when none are configured."""
    path = docker_config_path()
    config = _read(path)
    entry = _auth_entry(config.get("auths"), host)
    if entry is not None:
        found = _from_entry(entry, path, host)
        if found is not None:
            return found
    helpers = config.get("credHelpers")
    helper = helpers.get(host) if isinstance(helpers, dict) else None
    helper = helper or config.get("credsStore")
    if isinstance(helper, str) and helper:
        return _from_helper(helper, host)
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable Docker config ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a Docker config (expected a JSON object)")
    return data


def _host_of(key: str) -> str:
    """``https://host:5000/v1/`` and ``host:5000`` both name ``host:5000``."""
    return (urlsplit(key).netloc if "://" in key else key.split("/")[0]).lower()


def _auth_entry(auths: object, host: str) -> dict[str, Any] | None:
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if isinstance(key, str) and _host_of(key) == host and isinstance(entry, dict):
            return entry
    return None


def _from_entry(entry: dict[str, Any], path: Path, host: str) -> Credentials | None:
    if isinstance(entry.get("auth"), str) and entry["auth"]:
        try:
            user, sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if not sep:
            raise ConfigError(f"{path}: auths.{host}.auth is not base64 of user:password")
        return Credentials(user, password)
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        return Credentials(entry["username"], entry["password"])
    if entry.get("identitytoken"):
        log.warning("%s: identity tokens are not supported; log in with a password", host)
    return None


def _from_helper(helper: str, host: str) -> Credentials | None:
    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run(
            [program, "get"], input=host, capture_output=True, text=True, timeout=HELPER_TIMEOUT
        )
    except FileNotFoundError:
        log.warning("%s: credential helper %s is not installed", host, program)
        return None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{program}: no answer for {host} in {HELPER_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        log.info("%s: %s has no credentials (exit %d)", host, program, done.returncode)
        return None
    try:
        answer = json.loads(done.stdout)
        user, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{program}: unreadable answer for {host}") from None
    if user == "<token>":
        log.warning("%s: identity tokens are not supported; log in with a password", host)
        return None
    return Credentials(str(user), str(secret))
