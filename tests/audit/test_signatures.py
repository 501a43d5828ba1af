"""Model signatures (OpenSSF model_signing, elliptic-key bundles) checked by ``ptmlock audit``.

The publisher signs the whole repo folder with the real ``model_signing`` library; the lock
selects a subset of its files; audit verifies the bundle and compares the locked digests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ptmlock.cli import main
from ptmlock.mirror import RepoStore
from tests.conftest import HfEnv
from tests.helpers import model_card, safetensors_bytes

CODE = "from transformers import AutoModel\n"


def _keypair(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = folder / f"{name}.pem", folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _ca_and_leaf(folder: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a code-signing leaf it issued with its private key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(
        subject: str,
        issuer: str,
        key: ec.EllipticCurvePrivateKey,
        signer: ec.EllipticCurvePrivateKey,
        ca: bool,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        else:
            usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
            eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])
            builder = builder.add_extension(eku, critical=False)
        return builder.add_extension(usage, critical=True).sign(signer, hashes.SHA256())

    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_path, leaf_path, key_path = folder / "ca.pem", folder / "leaf.pem", folder / "leaf-key.pem"
    ca_path.write_bytes(
        build("acme CA", "acme CA", ca_key, ca_key, True).public_bytes(serialization.Encoding.PEM)
    )
    leaf = build("acme signer", "acme CA", leaf_key, ca_key, False)
    leaf_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, leaf_path, key_path


def _files(seed: int = 0) -> dict[str, bytes]:
    return {
        "README.md": model_card(license="apache-2.0"),
        "config.json": b'{"model_type": "bert", "seed": %d}' % seed,
        "model.safetensors": safetensors_bytes(),
        "pytorch_model.bin": b"not locked: the lock takes safetensors" * 4,
    }


def _signed(tmp_path: Path, files: dict[str, bytes], private: Path) -> dict[str, bytes]:
    import model_signing

    folder = tmp_path / "publisher"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    signature = tmp_path / "model.sig"
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private).sign(  # type: ignore[no-untyped-call]
        folder, signature
    )
    return files | {"model.sig": signature.read_bytes()}


def _audit(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main(["audit", str(root), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], models: list[str], policy: str
) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    lines = [f'AutoModel.from_pretrained("{m}", revision="main")' for m in models]
    (root / "app.py").write_text(CODE + "\n".join(lines) + "\n")
    (root / "pyproject.toml").write_text(policy)
    assert main(["scan", str(root)]) == 0
    assert main(["install", "--lock", str(root / "ptm.lock"), "--quiet"]) == 0
    capsys.readouterr()
    return root


def test_signatures_signed_unsigned_invalid_and_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv, store: RepoStore
) -> None:
    private, public = _keypair(tmp_path, "acme")
    other, _ = _keypair(tmp_path, "mallory")
    store.commit("acme/good", _signed(tmp_path, _files(1), private))
    tampered = _signed(tmp_path, _files(2), private) | {"config.json": b'{"model_type": "evil"}'}
    store.commit("acme/tampered", tampered)
    store.commit("acme/forged", _signed(tmp_path, _files(3), other))
    store.commit("acme/unsigned", _files(4))
    store.commit("free/unsigned", _files(5))
    policy = f'[tool.ptmlock.signatures.acme]\nrequire = true\npublic-key = "{public}"\n'
    models = ["acme/good", "acme/tampered", "acme/forged", "acme/unsigned", "free/unsigned"]
    root = _project(tmp_path, capsys, models, policy)
    code, data = _audit(root, capsys)
    states = {s["model"]: s["status"] for s in data["signatures"]}
    assert states == {
        "acme/good": "signed",
        "acme/tampered": "invalid",
        "acme/forged": "invalid",
        "acme/unsigned": "unsigned",
        "free/unsigned": "unsigned",  # reported, but no policy requires "free" to sign
    }
    found = {
        (f["rule"], f["model"], f["severity"]) for f in data["findings"] if f["rule"] >= "PTM4"
    }
    assert found == {
        ("PTM401", "acme/tampered", "critical"),
        ("PTM401", "acme/forged", "critical"),
        ("PTM402", "acme/unsigned", "high"),
    }
    tampered_detail = next(s["detail"] for s in data["signatures"] if s["model"] == "acme/tampered")
    assert "config.json: digest differs" in tampered_detail
    assert code == 1


def test_a_signature_without_a_key_is_unverified_not_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv, store: RepoStore
) -> None:
    private, _ = _keypair(tmp_path, "acme")
    store.commit("acme/good", _signed(tmp_path, _files(1), private))
    root = _project(tmp_path, capsys, ["acme/good"], "[tool.ptmlock.signatures.acme]\n")
    code, data = _audit(root, capsys)
    assert code == 0 and data["signatures"][0]["status"] == "unverified"


def test_a_certificate_signed_model_verifies_against_the_organisations_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hf_env: HfEnv, store: RepoStore
) -> None:
    import model_signing

    ca, leaf, key = _ca_and_leaf(tmp_path)
    (tmp_path / "other").mkdir()
    folder = tmp_path / "publisher"
    folder.mkdir()
    for name, data in _files(7).items():
        (folder / name).write_bytes(data)
    signature = tmp_path / "model.sig"
    config = model_signing.signing.Config()  # type: ignore[no-untyped-call]
    config.use_certificate_signer(
        private_key=key, signing_certificate=leaf, certificate_chain=[ca]
    ).sign(folder, signature)
    store.commit("acme/certified", _files(7) | {"model.sig": signature.read_bytes()})
    other_ca, _, _ = _ca_and_leaf(tmp_path / "other")
    policy = f'[tool.ptmlock.signatures.acme]\nrequire = true\ncertificate-chain = ["{ca}"]\n'
    root = _project(tmp_path, capsys, ["acme/certified"], policy)
    code, data = _audit(root, capsys)
    assert code == 0 and data["signatures"][0]["status"] == "signed", data["signatures"]
    (root / "pyproject.toml").write_text(policy.replace(str(ca), str(other_ca)))
    code, data = _audit(root, capsys)
    assert code == 1 and data["signatures"][0]["status"] == "invalid"
