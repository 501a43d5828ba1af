from llama_cpp import Llama
from peft import AutoPeftModelForCausalLM, PeftModel
from transformers import AutoModelForCausalLM
from vllm import LLM, SamplingParams
from optimum.onnxruntime import ORTModelForSequenceClassification

base = AutoModelForCausalLM.from_pretrained("mistralai/Mistral-7B-v0.1", device_map="auto")
chat = PeftModel.from_pretrained(base, "ybelkada/opt-350m-lora")
merged = AutoPeftModelForCausalLM.from_pretrained("smangrul/tinyllama_lora_norobots")
engine = LLM(model="Qwen/Qwen2.5-1.5B-Instruct", revision="v1.1", tensor_parallel_size=1)
small = Llama.from_pretrained(repo_id="Qwen/Qwen2-0.5B-Instruct-GGUF", filename="*q8_0.gguf",
                              verbose=False)
onnx = ORTModelForSequenceClassification.from_pretrained("optimum/distilbert-base-uncased-finetuned-sst-2-english")
params = SamplingParams(temperature=0.2, max_tokens=256)


def complete(prompt: str) -> str:
    return engine.generate([prompt], params)[0].outputs[0].text
