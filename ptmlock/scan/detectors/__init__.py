"""Discovery: one detector per kind of file, driven by ptmlock.scan."""
