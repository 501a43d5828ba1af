#!/bin/sh
set -e
: "${PORT:=8000}"
exec llama-server --hf-repo Qwen/Qwen2.5-1.5B-Instruct-GGUF --hf-file qwen2.5-1.5b-instruct-q4_k_m.gguf --port "$PORT"
