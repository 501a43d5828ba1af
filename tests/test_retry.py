"""Backoff, jitter, Retry-After and the bounds of ``call_with_retries``; then the same rules
seen from a real install against the mirror."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ptmlock import errors, retry
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import install
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import Lock, ModelRequest
from ptmlock.retry import RetryPolicy, call_with_retries
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, record_calls


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=6.0)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 6.0), (9, 6.0)]:
        delays = {policy.delay(attempt, None) for _ in range(200)}
        assert all(0.5 * full <= d <= full for d in delays)
        assert len(delays) > 100  # jittered: parallel workers don't retry in lockstep


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_retry_after=30.0)
    assert policy.delay(1, 7.5) == 7.5
    assert policy.delay(5, 0.0) == 0.0  # "now" means now, not backoff
    assert policy.delay(1, 3600.0) == 30.0
    assert retry.retry_after({"Retry-After": "2.5"}) == 2.5
    assert retry.retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None


def _flaky(failures: int, calls: list[int]) -> Callable[[], str]:
    def operation() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise errors.TransientHubError("HTTP 503")
        return "ok"

    return operation


def test_retries_are_bounded_in_count(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    policy = RetryPolicy(attempts=4, base_delay=0.01)
    calls: list[int] = []
    assert call_with_retries(_flaky(3, calls), what="x", policy=policy) == "ok"
    assert len(calls) == 4 and len(slept) == 3
    calls.clear()
    with pytest.raises(errors.TransientHubError):
        call_with_retries(_flaky(4, calls), what="x", policy=policy)
    assert len(calls) == 4


def test_retries_are_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]  # a clock that moves only when the retry loop sleeps
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    policy = RetryPolicy(attempts=100, base_delay=10.0, max_delay=10.0, deadline=25.0)
    calls: list[int] = []
    with pytest.raises(errors.TransientHubError):
        call_with_retries(_flaky(99, calls), what="x", policy=policy)
    # each wait is 5-10 s: at most 5 fit in 25 s, and the loop never sleeps past the deadline
    assert now[0] <= policy.deadline and 3 <= len(calls) <= 6


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def operation() -> None:
        calls.append(1)
        raise errors.IntegrityError("sha256 mismatch")

    with pytest.raises(errors.IntegrityError):
        call_with_retries(operation, what="x", policy=RetryPolicy(base_delay=0.01))
    assert calls == [1]


def test_install_waits_as_long_as_the_hub_asks(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_transformers_repo(store, "org/tiny")
    policy = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02)
    lock = Lock(
        models=(
            HuggingFaceHub(policy=policy).resolve(ModelRequest(hub="huggingface", id="org/tiny")),
        )
    )
    busy = mirror.faults.add(
        kind="status", status=429, retry_after=0.25, times=2, match="/config.json"
    )
    slept = record_calls(monkeypatch, time, "sleep")
    install(lock, hubs={"huggingface": HuggingFaceHub(policy=policy)}, policy=policy, jobs=1)
    assert busy.fired == 2
    assert slept == [0.25, 0.25]  # the server's word, not the 10-20 ms backoff
