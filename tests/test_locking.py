"""References + previous lock + hub -> lock: pins kept unless upgrading."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from ptmlock.drift import code_drift
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.lockfile import dumps_lock, lock_to_dict
from ptmlock.locking import LockResult, lock_references, requests_from_references
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import Lock, Reference
from ptmlock.retry import RetryPolicy
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)
SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "ptm-lock.schema.json").read_text())


def _ref(model: str | None, line: int = 1, **kw: object) -> Reference:
    fields: dict[str, object] = {"api": "x"} | kw
    return Reference(file="app.py", line=line, hub="huggingface", model=model, **fields)  # type: ignore[arg-type]


def _lock(refs: list[Reference], previous: Lock | None = None, **kw: object) -> LockResult:
    hub = HuggingFaceHub(policy=FAST)
    return lock_references(
        refs,
        hubs=lambda _: hub,
        supports=lambda hub, _model: hub == "huggingface",
        previous=previous,
        **kw,  # type: ignore[arg-type]
    )


def test_requests_merge_every_site_of_a_model() -> None:
    refs = [
        _ref("org/a", 3, api="transformers.AutoTokenizer.from_pretrained"),
        _ref("org/a", 9, api="huggingface_hub.hf_hub_download", library="file", files=("x.bin",)),
        _ref("org/a", 5, revision="v1"),
        _ref(None, 7, reason="dynamic"),
        _ref("org/doc-only", 2, confidence="low", how="doc"),
    ]
    requests = requests_from_references(refs)
    assert [(r.id, r.requested) for r in requests] == [("org/a", None), ("org/a", "v1")]
    merged = requests[0]
    assert merged.libraries == ("file", "transformers")
    # a string naming the model elsewhere guesses a library; the loaders' own policies win
    named = [_ref("org/c", 1, api="named in code"), _ref("org/c", 2, library="open_clip")]
    assert requests_from_references(named)[0].libraries == ("open_clip",)
    assert requests_from_references(named[:1])[0].libraries == ("transformers",)
    assert merged.files == ("x.bin",)
    assert merged.used_by == ("app.py:3", "app.py:9")


def test_timm_names_as_written_lock_as_the_hub_repo_timm_reads() -> None:
    """The scan reports ``timm/resnet50`` as the code writes it; the request (and so the lock,
    the drift check and the cache) is the repo timm downloads, shared with its tagged name."""
    refs = [
        _ref("timm/resnet50", 3, library="timm-named", api="timm.create_model"),
        _ref("timm/resnet50.a1_in1k", 4, library="timm-named", api="timm.create_model"),
        _ref("timm/vit_large_patch16_224_in21k", 5, library="timm-named"),  # renamed by timm
        _ref("timm/not-a-timm-name", 6, library="timm-named"),
        _ref("timm/resnet50", 7),  # a Hub id another library loads: itself
    ]
    requests = requests_from_references(refs)
    assert [(r.id, r.used_by) for r in requests] == [
        ("timm/not-a-timm-name", ("app.py:6",)),
        ("timm/resnet50", ("app.py:7",)),
        ("timm/resnet50.a1_in1k", ("app.py:3", "app.py:4")),
        ("timm/vit_large_patch16_224.augreg_in21k", ("app.py:5",)),
    ]


def test_lock_keeps_pins_and_rewrites_identical_bytes(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    first = make_transformers_repo(store, "org/a")
    result = _lock([_ref("org/a")])
    assert result.lock.models[0].revision == first
    jsonschema.validate(lock_to_dict(result.lock), SCHEMA)
    make_transformers_repo(store, "org/a", extra={"new.txt": b"moved main"})  # main moves on
    before = len(mirror.requests)
    again = _lock([_ref("org/a")], previous=result.lock)
    assert len(mirror.requests) == before  # pins kept with no hub request
    assert dumps_lock(again.lock) == dumps_lock(result.lock)
    assert again.resolved == ()


def test_lock_upgrade_moves_pins(store: RepoStore, hf_env: HfEnv) -> None:
    make_transformers_repo(store, "org/a")
    make_transformers_repo(store, "org/b")
    old = _lock([_ref("org/a"), _ref("org/b", 2)]).lock
    new_a = make_transformers_repo(store, "org/a", extra={"n.txt": b"1"})
    new_b = make_transformers_repo(store, "org/b", extra={"n.txt": b"2"})
    one = _lock([_ref("org/a"), _ref("org/b", 2)], previous=old, upgrade_models=["org/a"]).lock
    assert one.find("huggingface", "org/a").revision == new_a  # type: ignore[union-attr]
    assert one.find("huggingface", "org/b").revision == old.find("huggingface", "org/b").revision  # type: ignore[union-attr]
    every = _lock([_ref("org/a"), _ref("org/b", 2)], previous=old, upgrade=True).lock
    assert every.find("huggingface", "org/b").revision == new_b  # type: ignore[union-attr]


def test_lock_new_file_need_reresolves_at_the_pinned_commit(
    store: RepoStore, hf_env: HfEnv
) -> None:
    pinned = make_transformers_repo(store, "org/a", extra={"w.gguf": b"GGUF1"})
    old = _lock([_ref("org/a")]).lock
    make_transformers_repo(store, "org/a", extra={"w.gguf": b"GGUF2"})
    refs = [_ref("org/a"), _ref("org/a", 4, library="file", files=("w.gguf",))]
    new = _lock(refs, previous=old).lock
    model = new.models[0]
    assert model.revision == pinned and model.requested is None
    assert "w.gguf" in [f.path for f in model.files]


def test_lock_reports_unresolved_and_unsupported(store: RepoStore, hf_env: HfEnv) -> None:
    make_transformers_repo(store, "org/a")
    torch_ref = Reference(
        file="t.py", line=1, hub="pytorch_hub", model="pytorch/vision", api="torch.hub.load"
    )
    result = _lock([_ref("org/a"), _ref(None, 2, reason="computed at run time"), torch_ref])
    assert [m.id for m in result.lock.models] == ["org/a"]
    assert [r.line for r in result.unresolved] == [2]
    assert result.unsupported == (torch_ref,)


def test_lock_pins_the_repos_a_model_requires_and_keeps_them(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    """Remote code in another repo (config.json auto_map) is locked at a pinned commit, as a
    model of its own, and kept with its requirer on the next scan."""
    code = store.commit("org/code", {"modeling_x.py": b"from .util import f\n", "util.py": b""})
    config = b'{"model_type": "x", "auto_map": {"AutoModel": "org/code--modeling_x.X"}}'
    store.commit("org/weights", {"config.json": config, "model.safetensors": b"w"})
    result = _lock([_ref("org/weights", api="transformers.AutoModel.from_pretrained")])
    jsonschema.validate(lock_to_dict(result.lock), SCHEMA)
    weights = result.lock.find("huggingface", "org/weights")
    dependency = result.lock.find("huggingface", "org/code")
    assert weights is not None and dependency is not None
    assert [r.id for r in weights.requires] == ["org/code"]
    assert dependency.revision == code and dependency.required_by == ("org/weights",)
    assert {f.path for f in dependency.files} == {"modeling_x.py", "util.py"}  # and its import
    store.commit("org/code", {"modeling_x.py": b"changed", "util.py": b""})  # main moves on
    before = len(mirror.requests)
    again = _lock([_ref("org/weights", api="transformers.AutoModel.from_pretrained")],
                  previous=result.lock)  # fmt: skip
    assert len(mirror.requests) == before  # both pins kept, no hub request
    assert dumps_lock(again.lock) == dumps_lock(result.lock)
    # the gate sees the required repo as the code's, not as a loose entry to remove
    refs = [_ref("org/weights", api="transformers.AutoModel.from_pretrained")]
    assert code_drift(refs, result.lock, supports=lambda hub, _id: hub == "huggingface") == []
