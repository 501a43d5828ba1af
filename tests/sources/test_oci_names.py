"""Locations, repository names and tags: a pure mapping from the lock, valid OCI grammar."""

from __future__ import annotations

import re

import pytest

from ptmlock import errors
from ptmlock.models import LockedModel
from ptmlock.sources.oci_names import (
    OciLocation,
    name_part,
    parse_location,
    ref_tag,
    repository,
    revision_tag,
)

# the distribution spec's grammar for a repository name and a tag
REPOSITORY = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
HERE = OciLocation(host="registry.internal:5000", namespace="ml/models")


def _model(hub: str, model_id: str, revision: str = "a" * 40) -> LockedModel:
    return LockedModel(hub=hub, id=model_id, revision=revision)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("oci://registry.internal:5000/ml/models", HERE),
        ("oci://Registry.Internal:5000/ml/models/", HERE),
        ("oci://localhost", OciLocation(host="localhost", namespace="")),
    ],
)
def test_parse_location_reads_host_port_and_namespace(text: str, location: OciLocation) -> None:
    assert parse_location(text) == location


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("https://registry/models", "not an OCI registry location"),
        ("oci:///models", "not an OCI registry location"),
        ("oci://user:pw@registry/models", "credentials don't belong in the location"),
        ("oci://registry/Models", "not a valid repository name part"),
        ("oci://registry/a..b", "not a valid repository name part"),
    ],
)
def test_parse_location_refuses_what_is_not_a_registry_namespace(text: str, problem: str) -> None:
    with pytest.raises(errors.ConfigError, match=problem) as caught:
        parse_location(text)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("part", "mapped"),
    [
        ("bert-base-uncased", "bert-base-uncased"),
        ("Qwen2.5-7B-Instruct", "qwen2.5-7b-instruct"),
        ("My Model..v2", "my-model-v2"),
        ("a__b_c---d", "a__b_c---d"),
        ("_private.", "private"),
        ("x.-y", "x-y"),
    ],
)
def test_name_part_lowercases_and_maps_invalid_runs_to_one_dash(part: str, mapped: str) -> None:
    assert name_part(part) == mapped
    assert REPOSITORY.fullmatch(mapped)


def test_repository_per_hub_is_valid_and_distinct() -> None:
    names = {
        repository(HERE, _model("huggingface", "Org/Name")),
        repository(HERE, _model("huggingface", "gpt2")),
        repository(
            HERE, _model("url", "https://download.pytorch.org/models/resnet50-0676ba61.pth")
        ),
        repository(HERE, _model("pytorch_hub", "pytorch/vision")),
    }
    assert names == {
        "ml/models/org/name",
        "ml/models/gpt2",
        "ml/models/url/download.pytorch.org/models/resnet50-0676ba61.pth",
        "ml/models/pytorch_hub/pytorch/vision",
    }
    assert all(REPOSITORY.fullmatch(n) for n in names)


def test_a_repository_name_too_long_for_the_registry_is_refused() -> None:
    with pytest.raises(errors.ConfigError, match="longer than 255"):
        repository(HERE, _model("huggingface", "org/" + "x" * 300))


@pytest.mark.parametrize(
    ("ref", "tag"),
    [
        ("v1.0", "v1.0"),
        ("main", "main"),
        ("refs/pr/1", "refs-pr-1"),
        ("-rc", "_-rc"),
        (".hidden", "_.hidden"),
        ("x" * 200, "x" * 128),
        ("ünïcode tag", "_-n-code-tag"),
    ],
)
def test_ref_tag_maps_a_requested_ref_to_the_tag_grammar(ref: str, tag: str) -> None:
    assert ref_tag(ref) == tag
    assert TAG.fullmatch(tag)


def test_the_revision_is_the_tag_as_it_is() -> None:
    assert revision_tag(_model("huggingface", "o/n", "0123456789abcdef" * 2 + "01234567")) == (
        "0123456789abcdef" * 2 + "01234567"
    )
    assert revision_tag(_model("url", "https://h/f.pt", "f" * 64)) == "f" * 64
