#!/bin/bash
# LoRA fine-tune on a single GPU
BASE_MODEL=${BASE_MODEL:-meta-llama/Llama-3.2-1B}
OUTPUT=outputs/lora-$(date +%s)

accelerate launch train.py \
  --model_name_or_path "$BASE_MODEL" \
  --tokenizer_name meta-llama/Llama-3.2-1B \
  --dataset_name tatsu-lab/alpaca \
  --output_dir "$OUTPUT" \
  --resume_from_checkpoint outputs/lora-last \
  --per_device_train_batch_size 4

python evaluate.py --model "$OUTPUT" --judge-model gpt-4o
