"""Thumbnails, image tags and text-to-image matching."""

import open_clip
import timm
import torch
from diffusers import DDPMPipeline


def load_thumbnailer():
    pipe = DDPMPipeline.from_pretrained("tiny/ddpm")
    pipe.scheduler.set_timesteps(2)
    return tuple(pipe.unet(torch.zeros(1, 1, 8, 8), 1).sample.shape)


def load_image_tagger():
    model = timm.create_model("hf-hub:tiny/timm", pretrained=True).eval()
    return tuple(model(torch.zeros(1, 3, 32, 32)).shape)


def load_named_backbone():
    # timm's own name: its table says which Hub repo and tag hold the weights
    model = timm.create_model("test_efficientnet", pretrained=True).eval()
    return tuple(model(torch.zeros(1, 3, 32, 32)).shape)


def _clip(name):
    model, _, preprocess = open_clip.create_model_and_transforms(name)
    tokenizer = open_clip.get_tokenizer(name)
    return tuple(model.encode_text(tokenizer(["hello world"])).shape)


def load_matcher():
    return _clip("hf-hub:tiny/clip")


def load_siglip_matcher():
    # its open_clip_config.json names an HF tokenizer: get_tokenizer loads it with AutoTokenizer
    return _clip("hf-hub:tiny/siglip-like")


def load_matcher_shared_tokenizer():
    return _clip("hf-hub:tiny/clip-shared-tokenizer")
