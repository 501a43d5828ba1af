"""Text models used by the ticket pipeline."""

from __future__ import annotations

import logging

import torch
from transformers import (
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    pipeline,
)

log = logging.getLogger(__name__)


class TicketClassifier:
    """Routes tickets to a queue with a fine-tuned RoBERTa."""

    def __init__(self, device: str = "cpu") -> None:
        self.tokenizer = AutoTokenizer.from_pretrained(
            "cardiffnlp/twitter-roberta-base-sentiment-latest"
        )
        self.model = AutoModelForSequenceClassification.from_pretrained(
            "cardiffnlp/twitter-roberta-base-sentiment-latest",
            revision="4ba3d4463bd152c9e4abd892b50844f30c646708",
        ).to(device)

    @torch.no_grad()
    def __call__(self, text: str) -> int:
        batch = self.tokenizer(text, return_tensors="pt", truncation=True)
        return int(self.model(**batch).logits.argmax(-1))


def summarizer():
    tok = AutoTokenizer.from_pretrained("facebook/bart-large-cnn")
    model = AutoModelForSeq2SeqLM.from_pretrained("facebook/bart-large-cnn", revision="main")
    return tok, model


ner = pipeline("ner", model="dslim/bert-base-NER", tokenizer="dslim/bert-base-NER",
               aggregation_strategy="simple")
zero_shot = pipeline(task="zero-shot-classification", model="facebook/bart-large-mnli")
sentiment = pipeline("sentiment-analysis")
log.info("loaded %s", ner.model.name_or_path)
