"""Locks of small repos on the test hub, for pushing to and installing from a registry."""

from __future__ import annotations

import os

from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.mirror import RepoStore
from ptmlock.models import Lock, LockedModel, ModelRequest
from ptmlock.retry import RetryPolicy
from tests.helpers import make_transformers_repo

__all__ = ["BIG", "FAST", "locked_model"]

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
BIG = os.urandom(3 * 1024 * 1024 + 17)  # several upload chunks and download buffers


def locked_model(
    store: RepoStore,
    repo: str = "org/tiny",
    *,
    big: bool = False,
    requested: str | None = None,
    **card: str,
) -> LockedModel:
    """Commit a transformers repo to the test hub (tag v1.0) and lock it through the hub."""
    extra = {"model-00001-of-00001.safetensors": BIG} if big else {}
    commit = make_transformers_repo(store, repo, extra=extra, **card)
    store.tag(repo, "v1.0", commit)
    hub = HuggingFaceHub(policy=FAST)
    return hub.resolve(ModelRequest(hub="huggingface", id=repo, requested=requested))


def lock_of(*models: LockedModel) -> Lock:
    return Lock(models=models)
