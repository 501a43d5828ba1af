import os

from transformers import BlipForConditionalGeneration, BlipProcessor

MODEL_ID = os.environ.get("CAPTIONER_MODEL", "Salesforce/blip-image-captioning-base")

processor = BlipProcessor.from_pretrained(MODEL_ID)
model = BlipForConditionalGeneration.from_pretrained(MODEL_ID)


def caption(image) -> str:
    inputs = processor(images=image, return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=30)
    return processor.decode(out[0], skip_special_tokens=True)
