import argparse

from sentence_transformers import SentenceTransformer
from transformers import pipeline

EMBEDDERS = {
    "mini": "sentence-transformers/all-MiniLM-L12-v2",
    "e5": "intfloat/multilingual-e5-small",
}

parser = argparse.ArgumentParser()
parser.add_argument("--embedder", choices=sorted(EMBEDDERS), default="mini")
parser.add_argument("--judge", dest="judge_model", default="cross-encoder/nli-deberta-v3-base")
parser.add_argument("--checkpoint", required=True, help="path of the fine-tuned model")
parser.add_argument("--models", nargs="+", default=["distilbert/distilgpt2", "openai-community/gpt2"])
parser.set_defaults(summarizer="sshleifer/distilbart-cnn-6-6")
opts, _ = parser.parse_known_args()

embedder = SentenceTransformer(EMBEDDERS[opts.embedder])
judge = pipeline("zero-shot-classification", model=opts.judge_model)
tuned = pipeline("text-generation", model=opts.checkpoint)
summarizer = pipeline("summarization", model=opts.summarizer)
for name in opts.models:
    generator = pipeline("text-generation", model=name)
