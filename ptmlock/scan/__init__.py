"""Discovery: find every model a project uses.

``walk`` lists the files to read (honouring .gitignore and ``[tool.ptmlock] exclude``), the
detectors (one per kind of file) turn each into References, ``cache`` keeps their answers by
content hash, and ``scanner.scan`` runs it all. The data tables live beside them: which calls
load a model (``signatures``), how a loader spells an id (``transforms``), model families
(``families``).
"""

from ptmlock.scan.scanner import scan, scan_files

__all__ = ["scan", "scan_files"]
