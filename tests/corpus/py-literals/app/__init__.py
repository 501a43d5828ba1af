"""Support-ticket assistant: classification, summarisation, search and image previews."""
