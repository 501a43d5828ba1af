from transformers import AutoModel
AutoModel.from_pretrained("microsoft/phi-2")
