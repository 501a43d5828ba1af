import click
from transformers import AutoModelForSpeechSeq2Seq, AutoProcessor


@click.command()
@click.option("--asr-model", default="openai/whisper-large-v3-turbo", show_default=True)
@click.option("-l", "--language", default="en")
@click.option("--size", "model_size", type=click.Choice(["distil-whisper/distil-small.en", "distil-whisper/distil-medium.en"]),
              default="distil-whisper/distil-small.en")
def main(asr_model: str, language: str, model_size: str) -> None:
    processor = AutoProcessor.from_pretrained(asr_model)
    model = AutoModelForSpeechSeq2Seq.from_pretrained(asr_model)
    draft = AutoModelForSpeechSeq2Seq.from_pretrained(model_size)
    click.echo(f"serving {asr_model} ({language}) with draft {model_size}")


if __name__ == "__main__":
    main()
