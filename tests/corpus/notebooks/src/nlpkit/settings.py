"""Shared model names for the notebooks."""

ASR_MODEL = "openai/whisper-small"
