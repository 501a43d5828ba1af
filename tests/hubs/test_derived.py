"""The rules that read a repo's own files at lock time (hubs/derived.py)."""

from __future__ import annotations

import json

import pytest

from ptmlock.hubs.derived import Derived, derive
from ptmlock.models import Requirement


def _derive(model_id: str, rules: tuple[str, ...], files: dict[str, bytes]) -> Derived:
    chosen = [name for name in files if not name.endswith(".py")]
    return derive(model_id, rules, files, chosen, files.__getitem__)


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


def test_auto_map_locks_the_modules_and_what_they_import_relatively() -> None:
    files = {
        "config.json": _json(
            {"auto_map": {"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.X"}}
        ),
        "tokenizer_config.json": _json({"auto_map": {"AutoTokenizer": ["tok_x.Slow", None]}}),
        "configuration_x.py": b"from transformers import PretrainedConfig\n",
        "modeling_x.py": b"from .configuration_x import XConfig\nfrom .layers import Y\n",
        "layers.py": b"import torch\nfrom .util import z\n",
        "util.py": b"z = 1\n",
        "tok_x.py": b"",
        "unrelated.py": b"",
    }
    derived = _derive("org/x", ("auto_map",), files)
    assert derived.files == {
        "configuration_x.py",
        "modeling_x.py",
        "tok_x.py",
        "layers.py",
        "util.py",
    }
    assert derived.requires == []


def test_auto_map_into_another_repo_is_a_requirement_on_it() -> None:
    files = {"config.json": _json({"auto_map": {"AutoModel": "org/code--modeling_x.X"}})}
    derived = _derive("org/weights", ("auto_map",), files)
    assert derived.requires == [
        Requirement(id="org/code", library="file", files=("modeling_x.py",), why="auto_map")
    ]


@pytest.mark.parametrize(
    ("name", "libraries", "requires"),
    [
        ("org/siglip", {"transformers-tokenizer"}, []),  # the repo itself: its own tokenizer
        ("org/tok", set(), ["org/tok"]),  # another repo: a model to lock
    ],
)
def test_open_clip_hf_tokenizer_name(name: str, libraries: set[str], requires: list[str]) -> None:
    config = {"model_cfg": {"text_cfg": {"hf_tokenizer_name": name}}}
    derived = _derive(
        "org/siglip", ("open_clip_hf_tokenizer",), {"open_clip_config.json": _json(config)}
    )
    assert derived.libraries == libraries
    assert [r.id for r in derived.requires] == requires


def test_peft_adapter_requires_its_base_model_at_the_revision_it_names() -> None:
    config = {"base_model_name_or_path": "org/base", "revision": "v2"}
    derived = _derive("org/lora", ("peft_base_model",), {"adapter_config.json": _json(config)})
    assert derived.requires == [
        Requirement(
            id="org/base",
            revision="v2",
            library="transformers-model",
            why="base_model_name_or_path",
        )
    ]


def test_a_local_base_path_or_broken_json_adds_nothing() -> None:
    local = {"adapter_config.json": _json({"base_model_name_or_path": "/home/me/base"})}
    assert _derive("org/lora", ("peft_base_model",), local).requires == []
    broken = {"config.json": b"{not json"}
    assert _derive("org/x", ("auto_map",), broken).files == set()


def test_unsafe_module_names_from_auto_map_are_not_followed() -> None:
    files = {"config.json": _json({"auto_map": {"AutoModel": "../../etc/passwd.X"}})}
    assert _derive("org/x", ("auto_map",), files).files == set()
