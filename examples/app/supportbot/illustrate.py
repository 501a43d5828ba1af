"""Header images for the weekly digest."""

from diffusers import StableDiffusionPipeline


def load_painter():
    return StableDiffusionPipeline.from_pretrained("ptmlock-demo/tiny-sd")
