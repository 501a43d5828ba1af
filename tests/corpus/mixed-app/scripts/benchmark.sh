#!/usr/bin/env bash
# throughput benchmark against a model we only use here
hf download mistralai/Mistral-7B-Instruct-v0.3 --local-dir /tmp/bench
python -m ragsvc.bench --model_name_or_path checkpoints/reranker-ft
