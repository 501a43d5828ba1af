"""Model-card facts: realistic model-info answers in, LockedModel field values out."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from ptmlock.hubs.card import CardFacts, base_models, card_facts, normalize_license
from ptmlock.models import BaseModelRef, LockedModel

# Trimmed from GET /api/models/<id>/revision/<sha> answers; the shapes are the Hub's.
FINETUNED_INFO: dict[str, Any] = {
    "id": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "sha": "714eb0fa89d2f80546fda750413ed43d93601a13",
    "lastModified": "2023-12-19T10:15:00.000Z",
    "gated": False,
    "pipeline_tag": "text-classification",
    "library_name": "transformers",
    "tags": [
        "transformers", "pytorch", "safetensors", "distilbert", "text-classification", "en",
        "dataset:stanfordnlp/sst2", "base_model:distilbert/distilbert-base-uncased",
        "base_model:finetune:distilbert/distilbert-base-uncased", "license:apache-2.0",
    ],
    "cardData": {
        "language": "en",
        "license": "apache-2.0",
        "datasets": ["sst2", "glue"],
        "base_model": "distilbert/distilbert-base-uncased",
    },
    "config": {
        "architectures": ["DistilBertForSequenceClassification"],
        "model_type": "distilbert",
    },
    "safetensors": {"parameters": {"F32": 66955010}, "total": 66955010},
}  # fmt: skip

GATED_INFO: dict[str, Any] = {
    "id": "meta-llama/Llama-3.2-1B",
    "gated": "manual",
    "pipeline_tag": "text-generation",
    "library_name": "transformers",
    "tags": ["transformers", "safetensors", "llama", "text-generation", "license:llama3.2"],
    "cardData": {"license": "llama3.2", "language": ["en", "de"]},
    "config": {"architectures": ["LlamaForCausalLM"], "model_type": "llama"},
    "safetensors": {"parameters": {"BF16": 1235814400}, "total": 1235814400},
    "lastModified": "2024-10-24T15:07:51.000Z",
}


def test_card_facts_finetuned_model() -> None:
    readme = b"---\nlicense: apache-2.0\n---\n# DistilBERT SST-2\n"
    facts = card_facts(FINETUNED_INFO, readme)
    assert facts == CardFacts(
        license="Apache-2.0",
        base_models=(BaseModelRef(id="distilbert/distilbert-base-uncased", relation="finetune"),),
        datasets=("sst2", "glue"),
        task="text-classification",
        library_name="transformers",
        gated=False,
        card_sha256=hashlib.sha256(readme).hexdigest(),
        parameters=66955010,
        last_modified="2023-12-19",
        architecture="DistilBertForSequenceClassification",
    )


def test_card_facts_gated_model_keeps_hub_licence_name() -> None:
    facts = card_facts(GATED_INFO)
    assert facts.gated is True
    assert facts.license == "llama3.2"
    assert facts.card_sha256 is None
    assert facts.base_models == ()
    assert facts.architecture == "LlamaForCausalLM"


def test_card_facts_fields_build_a_locked_model() -> None:
    model = LockedModel(hub="huggingface", id="x/y", revision="a" * 40)
    locked = replace(model, **card_facts(FINETUNED_INFO).fields())
    assert locked.license == "Apache-2.0"
    assert locked.base_models[0] == BaseModelRef(id="distilbert/distilbert-base-uncased")
    assert LockedModel(hub="huggingface", id="x/y", revision="a" * 40, **card_facts({}).fields())


def test_card_facts_empty_answer_is_all_defaults() -> None:
    assert card_facts({"cardData": None, "tags": None, "gated": False}) == CardFacts()


def test_card_facts_without_card_uses_tags() -> None:
    info = {"tags": ["license:mit", "dataset:squad", "base_model:quantized:Qwen/Qwen2.5-7B"]}
    facts = card_facts(info)
    assert facts.license == "MIT"
    assert facts.datasets == ("squad",)
    assert facts.base_models == (BaseModelRef(id="Qwen/Qwen2.5-7B", relation="quantized"),)


@pytest.mark.parametrize(
    ("value", "name", "expected"),
    [
        ("apache-2.0", None, "Apache-2.0"),
        ("mit", None, "MIT"),
        ("cc-by-4.0", None, "CC-BY-4.0"),
        ("cc-by-nc-sa-4.0", None, "CC-BY-NC-SA-4.0"),
        ("bsl-1.0", None, "BSL-1.0"),
        ("odbl", None, "ODbL-1.0"),
        ("llama2", None, "llama2"),
        ("openrail", None, "openrail"),
        ("other", "deepseek-license", "deepseek-license"),
        ("other", None, "other"),
        ("unknown", None, None),
        (None, None, None),
        ("Apache-2.0 OR MIT", None, "Apache-2.0 OR MIT"),
    ],
)
def test_normalize_license(value: str | None, name: str | None, expected: str | None) -> None:
    assert normalize_license(value, name) == expected


def test_card_licence_list_means_all_apply() -> None:
    assert (
        card_facts({"cardData": {"license": ["mit", "cc-by-4.0"]}}).license == "MIT AND CC-BY-4.0"
    )


@pytest.mark.parametrize(
    ("card", "tags", "library", "relation"),
    [
        ({"base_model": "m/base", "base_model_relation": "adapter"}, [], None, "adapter"),
        ({"base_model": "m/base"}, ["peft", "lora"], "peft", "adapter"),
        ({"base_model": "m/base"}, ["gguf"], None, "quantized"),
        ({"base_model": "m/base"}, ["4-bit", "awq"], "transformers", "quantized"),
        ({"base_model": ["m/a", "m/b"]}, ["mergekit", "merge"], "transformers", "merge"),
        ({"base_model": "m/base"}, ["merge"], "transformers", "finetune"),  # one base: no merge
        ({"base_model": "m/base", "base_model_relation": "bogus"}, [], None, "finetune"),
    ],
)
def test_base_models_relation(
    card: dict[str, Any], tags: list[str], library: str | None, relation: str
) -> None:
    refs = base_models(card, tags, library)
    assert refs and all(r.relation == relation for r in refs)


def test_base_models_list_keeps_order() -> None:
    refs = base_models({"base_model": ["m/a", "m/b"]}, ["merge"])
    assert [r.id for r in refs] == ["m/a", "m/b"]
    assert {r.relation for r in refs} == {"merge"}


def test_base_models_plain_tag_has_unknown_relation() -> None:
    assert base_models({}, ["base_model:m/base"]) == (
        BaseModelRef(id="m/base", relation="unknown"),
    )
