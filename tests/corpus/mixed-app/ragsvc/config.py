"""Settings from config/app.yaml."""

from pathlib import Path

import yaml

DEFAULT_LLM = "meta-llama/Llama-3.1-8B-Instruct"


def load(path: Path = Path("config/app.yaml")) -> dict:
    return yaml.safe_load(path.read_text())
