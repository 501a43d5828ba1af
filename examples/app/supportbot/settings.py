"""Settings shared by the whole application."""

# The embedder that indexes the knowledge base; swapping it means re-indexing.
EMBEDDING_MODEL = "ptmlock-demo/mini-embed"
MAX_TICKET_TOKENS = 256
