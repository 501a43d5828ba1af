import logging

from transformers import (
    AutoModelForCausalLM,
    AutoProcessor,
    AutoTokenizer,
    BlipForConditionalGeneration,
    VisionEncoderDecoderModel,
    WhisperForConditionalGeneration,
    WhisperProcessor,
)

from service.config import ModelArguments, ServiceSettings, SpeechConfig

logger = logging.getLogger(__name__)


def load_llm(args: ModelArguments):
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer_name or args.model_name_or_path)
    model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path, revision=args.revision)
    return tokenizer, model


class Captioner:
    def __init__(self, settings: ServiceSettings) -> None:
        self.processor = AutoProcessor.from_pretrained(settings.caption_model)
        self.model = BlipForConditionalGeneration.from_pretrained(settings.caption_model)
        self.ocr = VisionEncoderDecoderModel.from_pretrained(settings.ocr_model)


class Transcriber:
    def __init__(self, config: SpeechConfig | None = None) -> None:
        config = config or SpeechConfig()
        self.processor = WhisperProcessor.from_pretrained(config.asr_model)
        self.model = WhisperForConditionalGeneration.from_pretrained(config.asr_model)
