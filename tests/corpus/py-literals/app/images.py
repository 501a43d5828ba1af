import torch
import diffusers
from diffusers import AutoencoderKL, DiffusionPipeline, StableDiffusionXLPipeline

vae = AutoencoderKL.from_pretrained("madebyollin/sdxl-vae-fp16-fix", torch_dtype=torch.float16)
pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0",
    vae=vae,
    torch_dtype=torch.float16,
    variant="fp16",
    use_safetensors=True,
)
pipe.load_lora_weights("nerijs/pixel-art-xl", weight_name="pixel-art-xl.safetensors")
refiner = DiffusionPipeline.from_pretrained(
    pretrained_model_name_or_path="stabilityai/stable-diffusion-xl-refiner-1.0",
    revision="fp16",
)
legacy = diffusers.StableDiffusionPipeline.from_single_file(
    "https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/blob/main/v1-5-pruned-emaonly.safetensors"
)


def preview(prompt: str):
    return pipe(prompt=prompt, num_inference_steps=25).images[0]
