"""A small support-ticket assistant: the application ptmlock's demo scans and locks."""
