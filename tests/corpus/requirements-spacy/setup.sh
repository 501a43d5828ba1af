#!/usr/bin/env bash
set -e
pip install -r requirements.txt
python -m spacy download fr_core_news_sm
python -m spacy validate
