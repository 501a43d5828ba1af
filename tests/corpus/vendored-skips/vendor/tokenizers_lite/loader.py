from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained("google-bert/bert-base-cased")
