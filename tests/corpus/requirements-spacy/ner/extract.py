import spacy

nlp = spacy.load("en_core_web_sm")


def entities(text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents]
