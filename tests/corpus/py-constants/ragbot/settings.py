"""Model choices for the whole bot live here so ops can bump them in one place."""

HF_ORG = "BAAI"
EMBEDDING_MODEL = f"{HF_ORG}/bge-base-en-v1.5"
EMBEDDING_REVISION = "a5beb1e3e68b9ab74eb54cfd186867f64f240e1a"
GENERATOR = "microsoft/Phi-3-mini-4k-instruct"
GENERATOR_REVISION = "v2.0"
TOKENIZER = GENERATOR
CHUNK_SIZE = 512
DOCS_URL = "https://huggingface.co/docs/transformers/index"
