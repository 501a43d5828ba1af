from transformers import AutoModelForCausalLM, AutoTokenizer

from ragsvc.config import DEFAULT_LLM


def load_llm(name: str = DEFAULT_LLM):
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype="auto")
    return tokenizer, model


def load_tenant_model(tenant):
    # the model id comes from the tenant record at run time
    return AutoModelForCausalLM.from_pretrained(tenant.model_id)


def load_local():
    return AutoModelForCausalLM.from_pretrained("./models/local-llm")
