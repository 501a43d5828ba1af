"""The Hugging Face Hub, through huggingface_hub (its API client and its httpx2 session).

The environment is read when a hub is made, not when the module is imported
(huggingface_hub itself freezes HF_ENDPOINT at import): HF_ENDPOINT, HF_TOKEN (or the
``hf auth login`` token), HF_HUB_OFFLINE. huggingface_hub and httpx2 exceptions are translated
into ptmlock.errors here and nowhere else. The token goes into request headers only.
Answers are read within a size cap and a deadline (``bounded.py``) and checked field by field
(``answers.py``) before they reach a lock.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import quote

import httpx2
from huggingface_hub import HfApi, get_session, get_token, hf_hub_url, hf_raise_for_status
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils._headers import build_hf_headers

from ptmlock import errors
from ptmlock.endpoint import public_endpoint
from ptmlock.env import endpoint_from_env, offline_from_env
from ptmlock.hubs.answers import check_model_info
from ptmlock.hubs.bounded import read_body, read_json
from ptmlock.hubs.card import LICENSE_FILES, CardFacts, card_facts, license_from_text
from ptmlock.hubs.derived import derive
from ptmlock.hubs.interface import Hub, OpenFile
from ptmlock.hubs.selection import (
    effective_patterns,
    patterns_for,
    probes_for,
    recorded_selection,
    rules_for,
    select_files,
)
from ptmlock.limits import SMALL_FILE_BYTES
from ptmlock.lockfile import safe_relpath, valid_model_id
from ptmlock.models import LockedFile, LockedModel, ModelRequest
from ptmlock.retry import (
    DEFAULT_POLICY,
    TRANSIENT_STATUS,
    RetryPolicy,
    call_with_retries,
    retry_after,
)
from ptmlock.transfer import RawGet, proxy_for, status_error

__all__ = ["HuggingFaceHub"]

log = logging.getLogger(__name__)
T = TypeVar("T")
LOGIN_HINT = "log in with `hf auth login` or set HF_TOKEN to a token with access"
REFUSED_HINT = (
    "the token (HF_TOKEN or `hf auth login`) has no access: request access on the model's "
    "page, or use a token that has it"
)
_TIMEOUT = httpx2.Timeout(30.0, connect=10.0)


# the Hub's X-Error-Code on a failed download -> (error, message, hint)
_ERROR_CODES: dict[str, tuple[type[errors.HubError], str, str | None]] = {
    "RepoNotFound": (errors.ModelNotFoundError, "no such model (or it is private)", LOGIN_HINT),
    "RevisionNotFound": (errors.RevisionNotFoundError, "no such revision", None),
    "EntryNotFound": (errors.EntryNotFoundError, "no such file", None),
    "GatedRepo": (errors.GatedModelError, "the model is gated", LOGIN_HINT),
}


class HuggingFaceHub(Hub):
    """Pins Hub models to commits and streams their files."""

    name = "huggingface"

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.endpoint = (endpoint or endpoint_from_env()).rstrip("/")
        self._policy = policy
        self._token = token if token is not None else get_token()
        self._api = HfApi(endpoint=self.endpoint, token=self._token or False)  # hf_repo.py's

    # -- resolving -------------------------------------------------------------------------
    def resolve(self, request: ModelRequest) -> LockedModel:
        """Pin ``request`` to a commit; hash the small files the Hub gives only a git oid for."""
        if offline_from_env():
            raise errors.OfflineError(
                f"{request.id}: cannot resolve with HF_HUB_OFFLINE=1",
                hint="unset HF_HUB_OFFLINE to lock new models",
            )
        if not valid_model_id("huggingface", request.id):
            raise errors.ConfigError(f"{request.id!r}: not a valid Hugging Face model id")
        info = self._call(request.id, lambda: self._model_info(request.id, request.requested))
        assert info.sha is not None, "check_model_info requires a commit"
        siblings = {s.rfilename: s for s in info.siblings or []}
        patterns = effective_patterns(request.libraries, request.patterns, request.files)
        missing = [f for f in request.files if f not in siblings]
        if missing:
            raise errors.EntryNotFoundError(
                f"{request.id}@{info.sha}: no file {missing[0]!r} in the repo"
            )
        chosen = select_files(siblings, patterns)
        small: dict[str, bytes] = {}  # files read this resolve (README is hashed and parsed)
        libraries, recorded = recorded_selection(request.libraries, request.patterns, request.files)
        # the policies' content rules (remote code, tokenizers named in configs, base models)
        # and probes apply when the policies chose the files, not the user's patterns
        policies = libraries if libraries else (("file",) if request.files else ())
        derived = derive(
            request.id,
            rules_for(policies),
            siblings,
            chosen,
            lambda path: self._read_once(request.id, info.sha or "", path, small),
        )
        more = set(select_files(siblings, patterns_for(derived.libraries)))
        chosen = sorted({*chosen, *derived.files, *more})
        probes = {*probes_for(libraries), *probes_for(derived.libraries)}
        files = tuple(
            self._locked_file(request.id, info.sha, siblings[name], small) for name in chosen
        )
        return LockedModel(
            hub="huggingface",
            id=request.id,
            revision=info.sha,
            requested=request.requested,
            endpoint=public_endpoint(self.endpoint),  # where the pin was made: for the SBOM
            files=files,
            used_by=request.used_by,
            loaders=request.loaders,
            group=request.group,
            libraries=libraries,
            patterns=recorded,
            absent=tuple(sorted(p for p in probes if p not in siblings)),
            requires=tuple(derived.requires),
            required_by=request.required_by,
            **self._card_facts(request.id, info, siblings, small).fields(),
        )

    def _model_info(self, model_id: str, revision: str | None) -> ModelInfo:
        """``GET /api/models/<id>[/revision/<rev>]?blobs=true``, as huggingface_hub's
        ``model_info(files_metadata=True)`` asks it, read bounded and checked."""
        url = f"{self.endpoint}/api/models/{model_id}"
        if revision is not None:
            url += f"/revision/{quote(revision, safe='')}"
        what = f"{model_id} on {self.endpoint}"
        response = self._stream(model_id, f"{url}?blobs=true", {})
        try:
            data = check_model_info(read_json(response, what), what)
        finally:
            response.close()
        try:
            return ModelInfo(**data)  # type: ignore[no-untyped-call]
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise errors.HubError(
                f"{what}: a model info huggingface_hub cannot read: {exc}"
            ) from None

    def _locked_file(
        self, model_id: str, commit: str, sibling: Any, small: dict[str, bytes]
    ) -> LockedFile:
        if sibling.lfs is not None:
            return LockedFile(
                path=sibling.rfilename, size=sibling.lfs.size, sha256=sibling.lfs.sha256
            )
        data = self._read_once(model_id, commit, sibling.rfilename, small)
        return LockedFile(
            path=sibling.rfilename, size=len(data), sha256=hashlib.sha256(data).hexdigest()
        )

    def _card_facts(
        self, model_id: str, info: ModelInfo, siblings: dict[str, Any], small: dict[str, bytes]
    ) -> CardFacts:
        """Licence, lineage, task, size facts from the Hub's answer and the model card.

        With no licence in the card, a LICENSE file in the repo is read and recognised.
        """
        readme = (
            self._read_once(model_id, info.sha or "", "README.md", small)
            if "README.md" in siblings
            else None
        )
        facts = card_facts(_info_dict(info), readme)
        if facts.license is None:
            name = next((n for n in LICENSE_FILES if n in siblings), None)
            if name is not None:
                text = self._read_once(model_id, info.sha or "", name, small)
                facts = replace(facts, license=license_from_text(text.decode("utf-8", "replace")))
        return facts

    def _read_once(self, model_id: str, commit: str, path: str, small: dict[str, bytes]) -> bytes:
        """``_read_small`` at most once per path in one resolve (a commit's files never change)."""
        if path not in small:
            small[path] = self._read_small(model_id, commit, path)
        return small[path]

    def _read_small(self, model_id: str, commit: str, path: str) -> bytes:
        url = hf_hub_url(model_id, path, revision=commit, endpoint=self.endpoint)

        def get() -> bytes:
            response = self._stream(model_id, url, {})
            try:
                return read_body(
                    response, f"{path} of {model_id} on {self.endpoint}", SMALL_FILE_BYTES
                )
            finally:
                response.close()

        return self._call(model_id, get)

    # -- moving bytes ----------------------------------------------------------------------
    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        if not safe_relpath(file.path):
            raise errors.UnsafePathError(f"{model.id}: unsafe file name {file.path!r} in the lock")
        url = hf_hub_url(model.id, file.path, revision=model.revision, endpoint=self.endpoint)
        headers = build_hf_headers(token=self._token or False)
        return RawGet(
            url, headers, offset, lambda status, answer, _: self._failure(model, status, answer)
        )

    def _failure(
        self, model: LockedModel, status: int, headers: Mapping[str, str]
    ) -> errors.PtmlockError:
        """The ptmlock error for a failed file download, by the Hub's ``X-Error-Code``."""
        where = f"{model.id}@{model.revision[:12]} on {self.endpoint}"
        known = _ERROR_CODES.get(headers.get("X-Error-Code", ""))
        if known is not None:
            error, message, hint = known
            if hint == LOGIN_HINT:
                message, hint = self._auth(message)
            return error(f"{where}: {message}", hint=hint)
        if status in (401, 403):
            message, hint = self._auth(f"access denied (HTTP {status})")
            return errors.GatedModelError(f"{where}: {message}", hint=hint)
        return status_error(status, headers, where)

    def _stream(self, model_id: str, url: str, extra: dict[str, str]) -> httpx2.Response:
        headers = build_hf_headers(token=self._token or False) | extra
        request = get_session().build_request("GET", url, headers=headers, timeout=_TIMEOUT)
        try:
            response = get_session().send(request, stream=True, follow_redirects=True)
        except httpx2.HTTPError as exc:
            raise self._translate(model_id, exc) from None
        if response.status_code >= 400:
            try:  # the error's body read bounded too, then given whole to huggingface_hub
                body = read_body(response, f"an error answer for {model_id} on {self.endpoint}")
                kept = [
                    (k, v)
                    for k, v in response.headers.multi_items()
                    if k.lower() not in ("content-encoding", "content-length")
                ]
                read = httpx2.Response(
                    response.status_code, headers=kept, content=body, request=request
                )
                hf_raise_for_status(read)
            except Exception as exc:
                raise self._translate(model_id, exc) from None
            finally:
                response.close()
        return response

    # -- errors ----------------------------------------------------------------------------
    def _call(self, model_id: str, operation: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return operation()
            except errors.PtmlockError:
                raise
            except Exception as exc:
                raise self._translate(model_id, exc) from None

        return call_with_retries(
            attempt, what=f"{model_id} on {self.endpoint}", policy=self._policy
        )

    def _auth(self, message: str) -> tuple[str, str]:
        """Tell a refused token apart from a missing one (never naming the token)."""
        if self._token:
            return f"{message}; the token sent was refused", REFUSED_HINT
        return f"{message}; no token was sent", LOGIN_HINT

    def _translate(self, model_id: str, exc: Exception) -> errors.PtmlockError:
        """One ptmlock error for any huggingface_hub / httpx2 failure. Never includes a token."""
        where = f"{model_id} on {self.endpoint}"
        if isinstance(exc, errors.PtmlockError):
            return exc
        if isinstance(exc, OfflineModeIsEnabled):
            return errors.OfflineError(f"{where}: HF_HUB_OFFLINE is set")
        if isinstance(exc, GatedRepoError):
            message, hint = self._auth("the model is gated")
            return errors.GatedModelError(f"{where}: {message}", hint=hint)
        if isinstance(exc, RepositoryNotFoundError):
            message, hint = self._auth("no such model (or it is private)")
            return errors.ModelNotFoundError(f"{where}: {message}", hint=hint)
        if isinstance(exc, RevisionNotFoundError):
            return errors.RevisionNotFoundError(f"{where}: no such revision")
        if isinstance(exc, RemoteEntryNotFoundError):
            return errors.EntryNotFoundError(f"{where}: no such file")
        if isinstance(exc, HfHubHTTPError):
            status = exc.response.status_code if exc.response is not None else 0
            message = f"{where}: HTTP {status}"
            if status in TRANSIENT_STATUS:
                headers = exc.response.headers if exc.response is not None else {}
                return errors.TransientHubError(message, retry_after=retry_after(headers))
            return errors.HubError(message)
        if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
            proxy = proxy_for(self.endpoint)
            if proxy is not None:  # the proxy is what did not answer, not the hub behind it
                return errors.HubUnreachableError(
                    f"cannot reach the proxy {proxy} (for {self.endpoint}, {model_id})",
                    hint="check https_proxy / http_proxy (or add the host to no_proxy)",
                )
            return errors.HubUnreachableError(
                f"cannot reach {self.endpoint} for {model_id}",
                hint="check HF_ENDPOINT and the network",
            )
        if isinstance(exc, httpx2.TransportError):
            return errors.TransientHubError(f"{where}: {type(exc).__name__}")
        raise exc  # not a hub failure: a bug, let it surface


def _info_dict(info: ModelInfo) -> dict[str, Any]:
    """The parts of the raw model-info answer card.py reads, from huggingface_hub's object."""
    card = info.card_data.to_dict() if info.card_data is not None else {}  # type: ignore[no-untyped-call]
    safetensors = info.safetensors
    return {
        "cardData": card,
        "tags": info.tags or [],
        "library_name": info.library_name,
        "pipeline_tag": info.pipeline_tag,
        "gated": info.gated,
        "safetensors": {"total": safetensors.total} if safetensors is not None else None,
        "lastModified": info.last_modified.isoformat() if info.last_modified else None,
        "config": info.config or {},
    }
