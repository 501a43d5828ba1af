#!/usr/bin/env python
"""Fine-tune a causal LM with LoRA on a JSONL instruction dataset."""

import argparse
import json
from pathlib import Path

import torch
from datasets import load_dataset
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

DEFAULT_BASE = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-model", default=DEFAULT_BASE,
                        choices=[DEFAULT_BASE, "Qwen/Qwen2.5-0.5B-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct"],
                        help="model to adapt")
    parser.add_argument("--tokenizer", type=str, default=None, help="defaults to --base-model")
    parser.add_argument("--revision", default="main")
    parser.add_argument("--data", type=Path, default=Path("data/train.jsonl"))
    parser.add_argument("--output-dir", default="outputs/lora")
    parser.add_argument("--epochs", type=int, default=3)
    train = parser.add_argument_group("training")
    train.add_argument("--lr", type=float, default=2e-4)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or args.base_model, revision=args.revision)
    model = AutoModelForCausalLM.from_pretrained(args.base_model, revision=args.revision,
                                                 torch_dtype=torch.bfloat16)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    data = load_dataset("json", data_files=str(args.data))["train"]
    trainer = Trainer(model=model, args=TrainingArguments(args.output_dir, num_train_epochs=args.epochs,
                                                          learning_rate=args.lr), train_dataset=data)
    trainer.train()
    model.save_pretrained(args.output_dir)
    (Path(args.output_dir) / "meta.json").write_text(json.dumps({"base": args.base_model}))


if __name__ == "__main__":
    main()
