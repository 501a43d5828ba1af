"""A read-only Hugging Face Hub-compatible server over a directory of model repos."""
