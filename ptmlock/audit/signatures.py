"""OpenSSF model signing: does the publisher's signature cover exactly the locked bytes?

A signed repo carries ``model.sig`` (the ``model_signing`` tool's default name): a Sigstore
bundle over an in-toto statement listing every file's digest. The bundle is verified with the
organisation's key, certificate chain or Sigstore identity from ``[tool.ptmlock.signatures]``;
then each locked file's digest must equal the signed one (the lock's sha256 when the signature
used sha256 over whole files, which ``install`` already verified; otherwise the installed file is
hashed the way the signature says). The publisher's repo may hold more files than the lock
selects: those are not needed. A locked file the signature does not list is not signed.

``model_signing`` verifies the bundle (its verifier classes); it does not expose the signed
manifest through its public ``verify`` (which insists the folder hold every signed file), so
the verifier layer is imported from its ``_signing`` package, pinned to a minor version.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptmlock.audit.findings import SignatureState
from ptmlock.audit.policy import SignerPolicy
from ptmlock.models import LockedModel

__all__ = ["SIGNATURE_FILE", "verify_signature"]

log = logging.getLogger(__name__)
SIGNATURE_FILE = "model.sig"


@dataclass(frozen=True, slots=True)
class _Signed:
    digests: dict[str, tuple[str, str]]  # path -> (algorithm, hex)
    method: dict[str, Any]


def verify_signature(
    model: LockedModel, signature: Path, policy: SignerPolicy | None, snapshot: Path | None
) -> SignatureState:
    """signed | invalid | unverified for a model whose repo has a signature at ``signature``."""
    if policy is None or not (policy.public_key or policy.certificate_chain or policy.identity):
        return SignatureState(
            model=model.id,
            status="unverified",
            detail=f"{SIGNATURE_FILE} present; no key or identity for {_org(model.id)!r} in "
            "[tool.ptmlock.signatures]",
        )
    try:
        signed = _verified_manifest(signature, policy)
    except ImportError:
        return SignatureState(
            model=model.id,
            status="unknown",
            detail="model_signing is not installed: pip install 'ptmlock[signing]'",
        )
    except Exception as error:  # model_signing raises ValueError and sigstore's own errors
        log.debug("%s: signature rejected", model.id, exc_info=True)
        return SignatureState(model=model.id, status="invalid", detail=_one_line(error))
    problems = _compare(model, signed, snapshot)
    if problems:
        return SignatureState(model=model.id, status="invalid", detail="; ".join(problems))
    return SignatureState(
        model=model.id,
        status="signed",
        detail=f"{len(model.files)} locked file(s) match the signature",
    )


def _org(model_id: str) -> str:
    return model_id.split("/", 1)[0] if "/" in model_id else ""


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else 'verification failed'}"[:300]


def _verified_manifest(signature: Path, policy: SignerPolicy) -> _Signed:
    from model_signing._signing import sign_sigstore_pb

    if policy.public_key is not None:
        from model_signing._signing import sign_ec_key

        verifier: Any = sign_ec_key.Verifier(policy.public_key)
        bundle: Any = sign_sigstore_pb.Signature.read(signature)
    elif policy.certificate_chain:
        from model_signing._signing import sign_certificate

        verifier = sign_certificate.Verifier(list(policy.certificate_chain))
        bundle = sign_sigstore_pb.Signature.read(signature)
    else:
        from model_signing._signing import sign_sigstore

        verifier = sign_sigstore.Verifier(
            identity=policy.identity or "", oidc_issuer=policy.oidc_issuer or ""
        )
        bundle = sign_sigstore.Signature.read(signature)
    manifest = verifier.verify(bundle)
    digests = {
        str(rd.identifier): (str(rd.digest.algorithm), str(rd.digest.digest_hex))
        for rd in manifest.resource_descriptors()
    }
    return _Signed(digests=digests, method=dict(manifest.serialization_type))


def _compare(model: LockedModel, signed: _Signed, snapshot: Path | None) -> list[str]:
    problems = []
    whole_sha256 = signed.method.get("method") == "files" and signed.method.get("hash_type") in (
        "sha256",
        None,
    )
    for file in model.files:
        if file.path == SIGNATURE_FILE:
            continue
        entry = signed.digests.get(file.path)
        if entry is None:
            problems.append(f"{file.path}: not covered by the signature")
            continue
        actual = file.sha256 if whole_sha256 else _rehash(snapshot, file.path, signed.method)
        if actual is None:
            problems.append(f"{file.path}: cannot hash it as signed ({signed.method})")
        elif actual != entry[1]:
            problems.append(f"{file.path}: digest differs from the signed one")
    return problems


def _rehash(snapshot: Path | None, path: str, method: dict[str, Any]) -> str | None:
    """The installed file's digest as a whole-file signature computed it (blake2, ...)."""
    if snapshot is None or not (snapshot / path).exists():
        return None
    from model_signing import hashing

    if method.get("method") != "files":
        return None  # shard digests name byte ranges, not files
    config = hashing.Config()  # type: ignore[no-untyped-call]
    config.use_file_serialization(hashing_algorithm=method["hash_type"], allow_symlinks=True)
    manifest = config.hash(snapshot, files_to_hash=[snapshot / path])
    for rd in manifest.resource_descriptors():
        if str(rd.identifier) == path:
            return str(rd.digest.digest_hex)
    return None
