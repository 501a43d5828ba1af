from ragbot.settings import GENERATOR as _GEN

SUMMARY_MODEL = "google/flan-t5-base"
QUESTION_GEN_MODEL = _GEN
# Kept for the migration script; not loaded anywhere any more.
OLD_SUMMARY_MODEL = "t5-small"
