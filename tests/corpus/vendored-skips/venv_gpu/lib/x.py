from transformers import AutoModel
AutoModel.from_pretrained("gpt2")
