"""Each rule on plain values: positive and negative cases, no hub needed."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ptmlock.audit.code_rules import RemoteCodeSite
from ptmlock.audit.model_rules import licence_findings, pickle_findings, safetensors_findings
from ptmlock.audit.policy import AuditPolicy, parse_policy
from ptmlock.audit.remote_code import auto_map_modules, remote_code_finding
from ptmlock.audit.tokens import find_tokens
from ptmlock.errors import ConfigError
from ptmlock.models import Lock, LockedFile, LockedModel
from tests.audit.pickles import state_dict_pickle, torch_zip

SHA = "a" * 40


def _model(model_id: str = "org/m", *paths: str, **facts: object) -> LockedModel:
    files = tuple(LockedFile(path=p, size=1, sha256="0" * 64) for p in paths)
    return LockedModel(hub="huggingface", id=model_id, revision=SHA, files=files, **facts)  # type: ignore[arg-type]


class Custom:
    """A class outside every allow-list: pickling it names this test module."""


def test_pickle_rules_unknown_library_and_unscannable(tmp_path: Path) -> None:
    model = _model("org/m", "a.pkl")
    path = tmp_path / "a.pkl"
    path.write_bytes(pickle.dumps([Custom()], protocol=2))
    _, found = pickle_findings(model, model.files[0], path)
    assert [(f.rule, f.severity) for f in found] == [("PTM102", "high")]
    assert "tests.audit.test_rules.Custom" in found[0].message
    path.write_bytes(b"\x80\x02ctorch.nn.modules.linear\nLinear\n)\x81.")
    _, found = pickle_findings(model, model.files[0], path)
    assert [(f.rule, f.severity) for f in found] == [("PTM103", "medium")]
    path.write_bytes(b"GGUF not a pickle")
    record, found = pickle_findings(model, model.files[0], path)
    assert [(f.rule, f.severity) for f in found] == [("PTM104", "medium")]
    assert record.status == "unscannable" and record.format == "not-pickle"
    path.write_bytes(torch_zip(state_dict_pickle()))
    record, found = pickle_findings(model, model.files[0], path)
    assert found == [] and record.status == "scanned"


def test_safetensors_rule_needs_a_sibling_for_the_same_weights() -> None:
    model = _model("org/m", "pytorch_model.bin", "sub/optimizer.pt")
    offered = ["model.safetensors", "pytorch_model.bin", "other/model.safetensors"]
    assert [f.file for f in safetensors_findings(model, offered)] == ["pytorch_model.bin"]
    assert safetensors_findings(model, ["pytorch_model.bin", "sub/x.safetensors"]) == []
    locked_both = _model("org/m", "pytorch_model.bin", "model.safetensors")
    assert safetensors_findings(locked_both, ["model.safetensors", "pytorch_model.bin"]) == []


def test_licence_rules_are_info_without_a_policy() -> None:
    none = _model("org/none")
    gated = _model("org/gated", license="llama3", gated=True)
    assert {(f.rule, f.severity) for f in licence_findings(none, AuditPolicy())} == {
        ("PTM302", "info")
    }
    assert {(f.rule, f.severity) for f in licence_findings(gated, AuditPolicy())} == {
        ("PTM303", "info")
    }
    policy = AuditPolicy(allowed_licenses=("mit",))
    assert {(f.rule, f.severity) for f in licence_findings(gated, policy)} == {
        ("PTM301", "high"),
        ("PTM303", "medium"),
    }
    assert {f.rule for f in licence_findings(none, policy)} == {"PTM302"}
    assert licence_findings(_model("org/ok", license="MIT"), policy) == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ('t = "hf_' + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567" + '"', ["Hugging Face token"]),
        ("key=AKIAQ3EGRL2XJ7NMWB5T", ["AWS access key id"]),
        ("ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", ["GitHub token"]),
        ('t = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"', []),  # a placeholder
        ("token = os.environ['HF_TOKEN']", []),
        ("the_hf_file_with_a_long_name_1234567890abcdefgh", []),  # inside an identifier
    ],
)
def test_token_shapes(text: str, kinds: list[str]) -> None:
    hits = list(find_tokens(text))
    assert [h.kind for h in hits] == kinds
    for hit in hits:
        assert hit.redacted.endswith("…") and len(hit.redacted) <= 9


def test_auto_map_modules_local_and_cross_repo() -> None:
    config = b'{"auto_map": {"AutoConfig": "configuration_x.XConfig",'
    config += b' "AutoTokenizer": ["other/tok--tokenization_x.XTok", null]}}'
    assert set(auto_map_modules(config)) == {
        (None, "configuration_x.py"),
        ("other/tok", "tokenization_x.py"),
    }
    assert list(auto_map_modules(b"not json")) == []


def test_remote_code_in_another_repo_must_be_locked_too() -> None:
    main = _model("org/m", "config.json", "modeling.py")
    config = b'{"auto_map": {"AutoModel": "org/shared--modeling_shared.Model"}}'

    def read(model: LockedModel, path: str) -> bytes | None:
        return config if (model.id, path) == ("org/m", "config.json") else None

    def listing(model: LockedModel) -> tuple[str, ...]:
        return tuple(f.path for f in model.files)

    site = RemoteCodeSite("app.py", 3, "org/m")
    unpinned = remote_code_finding(site, Lock(models=(main,)), read, listing)
    assert unpinned.rule == "PTM201" and "org/shared/modeling_shared.py" in unpinned.message
    shared = _model("org/shared", "modeling_shared.py")
    pinned = remote_code_finding(site, Lock(models=(main, shared)), read, listing)
    assert pinned.rule == "PTM202" and "org/shared/modeling_shared.py" in pinned.message

    def more(model: LockedModel) -> tuple[str, ...]:  # the other repo has a helper it imports
        return listing(model) + (("utils_shared.py",) if model.id == "org/shared" else ())

    partial = remote_code_finding(site, Lock(models=(main, shared)), read, more)
    assert partial.rule == "PTM201" and "org/shared/utils_shared.py" in partial.message
    unknown = remote_code_finding(RemoteCodeSite("app.py", 3, None), Lock(), read, listing)
    assert unknown.rule == "PTM201" and unknown.model is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"allowed-licenses": "mit"}, "allowed-licenses: expected an array"),
        ({"audit": {"fail-on": "severe"}}, "audit.fail-on: expected one of"),
        ({"audit": {"ignore": [{"rule": "PTM999", "reason": "x"}]}}, "ignore[0].rule: required"),
        ({"audit": {"colour": 1}}, "audit.colour: unknown key"),
        ({"signatures": {"acme": {"identity": "a@b"}}}, "identity and oidc-issuer go together"),
    ],
)
def test_policy_errors_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(table, base=Path())


def test_policy_takes_rule_names_and_paths_relative_to_the_project(tmp_path: Path) -> None:
    table = {
        "audit": {"ignore": [{"rule": "hardcoded-token", "file": "a.py", "reason": "fixture"}]},
        "signatures": {"acme": {"require": True, "public-key": "keys/acme.pub"}},
    }
    policy = parse_policy(table, base=tmp_path)
    assert policy.ignore[0].rule == "PTM203"
    assert policy.signers["acme"].public_key == tmp_path / "keys" / "acme.pub"
