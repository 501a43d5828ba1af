"""A LoRA fine-tune of the encoder, loaded onto its base model by PEFT."""

from peft import AutoPeftModel


def load_tuned_encoder():
    model = AutoPeftModel.from_pretrained("tiny/lora")
    return type(model.get_base_model()).__name__
