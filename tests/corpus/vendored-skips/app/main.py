from transformers import AutoModelForTokenClassification, AutoTokenizer

NER_MODEL = "dslim/bert-base-NER"

tokenizer = AutoTokenizer.from_pretrained(NER_MODEL)
model = AutoModelForTokenClassification.from_pretrained(NER_MODEL)
