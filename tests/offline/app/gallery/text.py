"""Captions, tags and chat for uploaded media."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoTokenizer,
    pipeline,
)

ENCODER = "tiny/bert"


def load_query_tokenizer():
    # a repo that holds only a tokenizer (no config.json)
    tokenizer = AutoTokenizer.from_pretrained("tiny/tokenizer-only")
    return tokenizer("hello world")["input_ids"]


def load_encoder():
    config = AutoConfig.from_pretrained(ENCODER)
    tokenizer = AutoTokenizer.from_pretrained(ENCODER)
    model = AutoModel.from_pretrained(ENCODER)
    out = model(**tokenizer("hello world", return_tensors="pt"))
    return config.hidden_size, tuple(out.last_hidden_state.shape)


def load_tagger():
    tagger = pipeline("text-classification", model="tiny/classifier")
    return tagger("help me please")[0]["label"]


def load_chat():
    tokenizer = AutoTokenizer.from_pretrained("tiny/gpt2")
    model = AutoModelForCausalLM.from_pretrained("tiny/gpt2")
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "ab"}], tokenize=False)
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    return model.generate(ids, do_sample=False).shape[-1]


def load_custom_model():
    import torch

    model = AutoModel.from_pretrained("tiny/remote-code", trust_remote_code=True)
    return tuple(model(torch.ones(1, 8)).shape)


def load_custom_model_shared_code():
    import torch

    model = AutoModel.from_pretrained("tiny/remote-elsewhere", trust_remote_code=True)
    return tuple(model(torch.ones(1, 8)).shape)
