from transformers import AutoModel
AutoModel.from_pretrained("google-bert/bert-large-uncased")
