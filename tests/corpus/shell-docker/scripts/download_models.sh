#!/usr/bin/env bash
# Fetch every model the service needs into ./models (run once per machine).
set -euo pipefail

export HF_HUB_ENABLE_HF_TRANSFER=1
MODELS_DIR="${MODELS_DIR:-./models}"
LLM_MODEL="mistralai/Mistral-7B-Instruct-v0.3"
LLM_REVISION=e0bc86c23ce5aae1db576c8cca6f06f1f73af2db

mkdir -p "$MODELS_DIR"

huggingface-cli download "$LLM_MODEL" \
    --revision "$LLM_REVISION" \
    --include "*.safetensors" "*.json" \
    --local-dir "$MODELS_DIR/llm"

# quantised build for laptops
hf download TheBloke/Mistral-7B-Instruct-v0.2-GGUF mistral-7b-instruct-v0.2.Q4_K_M.gguf --local-dir "$MODELS_DIR"

# evaluation data, not a model
hf download --repo-type dataset HuggingFaceH4/ultrachat_200k --local-dir data/ultrachat

# the reranker comes from the environment at deploy time
hf download "$RERANKER_MODEL" --local-dir "$MODELS_DIR/reranker"

if [ ! -d "$MODELS_DIR/whisper" ]; then
  git clone --depth 1 https://huggingface.co/openai/whisper-large-v3 "$MODELS_DIR/whisper"
fi
git clone https://github.com/ggerganov/llama.cpp vendor-src/llama.cpp || true

wget -nc -P "$MODELS_DIR" https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth
curl -fsSL https://huggingface.co/stabilityai/sd-vae-ft-mse/resolve/31f26fdeee1355a5c34592e401dd41e45d25a493/diffusion_pytorch_model.safetensors \
  -o "$MODELS_DIR/vae.safetensors"
curl -fsSL https://astral.sh/uv/install.sh | sh
echo "done: $(du -sh "$MODELS_DIR")"
