from __future__ import annotations

from dataclasses import dataclass, field

import attrs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class ModelArguments:
    model_name_or_path: str = field(
        default="meta-llama/Llama-3.2-3B-Instruct",
        metadata={"help": "Path to pretrained model or model identifier from huggingface.co/models"},
    )
    tokenizer_name: str | None = field(default=None, metadata={"help": "Defaults to the model"})
    revision: str = "main"
    lora_targets: list[str] = field(default_factory=lambda: ["q_proj", "v_proj"])


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SVC_")

    ocr_model: str = Field(default="microsoft/trocr-base-printed")
    caption_model: str = "Salesforce/blip-image-captioning-base"
    max_batch: int = 8


@attrs.define
class SpeechConfig:
    asr_model: str = attrs.field(default="openai/whisper-base.en")
    sample_rate: int = 16_000
