from typing import Annotated

import typer
from diffusers import AutoPipelineForText2Image

app = typer.Typer()


@app.command()
def generate(
    prompt: str,
    model: Annotated[str, typer.Option(help="diffusers repo")] = "stabilityai/sdxl-turbo",
    refiner: str = typer.Option("stabilityai/stable-diffusion-xl-refiner-1.0", "--refiner"),
    steps: int = 4,
):
    pipe = AutoPipelineForText2Image.from_pretrained(model)
    refine = AutoPipelineForText2Image.from_pretrained(refiner)
    pipe(prompt, num_inference_steps=steps).images[0].save("out.png")


if __name__ == "__main__":
    app()
