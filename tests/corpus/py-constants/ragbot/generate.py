import torch
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

import ragbot.settings as cfg
from ragbot import constants
from ragbot.constants import SUMMARY_MODEL

MAX_NEW_TOKENS = 256
DTYPE = torch.bfloat16

tokenizer = AutoTokenizer.from_pretrained(cfg.TOKENIZER, revision=cfg.GENERATOR_REVISION)
model = AutoModelForCausalLM.from_pretrained(
    cfg.GENERATOR,
    revision=cfg.GENERATOR_REVISION,
    torch_dtype=DTYPE,
    trust_remote_code=True,
)

summary_tok = AutoTokenizer.from_pretrained(SUMMARY_MODEL)
summary_model = AutoModelForSeq2SeqLM.from_pretrained(SUMMARY_MODEL)
question_model = AutoModelForCausalLM.from_pretrained(constants.QUESTION_GEN_MODEL)


def answer(question: str, context: str) -> str:
    prompt = f"Context:\n{context}\n\nQuestion: {question}\nAnswer:"
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=MAX_NEW_TOKENS)
    return tokenizer.decode(out[0][ids.shape[1]:], skip_special_tokens=True)
