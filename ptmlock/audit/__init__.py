"""``ptmlock audit``: what is unsafe in the locked models and in the code that loads them.

``engine.audit`` runs the rules (``rules.RULES``: data, stable ids) over a lock, its installed
files and the project; ``output`` renders the report as JSON or SARIF 2.1.0. Pickles are read
opcode by opcode (``pickle_ops``), never unpickled.
"""

from ptmlock.audit.engine import audit
from ptmlock.audit.findings import AuditReport, Finding, ScannedFile, SignatureState
from ptmlock.audit.policy import AuditPolicy, load_policy
from ptmlock.audit.rules import RULES, SEVERITIES, Rule, Severity

__all__ = [
    "RULES",
    "SEVERITIES",
    "AuditPolicy",
    "AuditReport",
    "Finding",
    "Rule",
    "ScannedFile",
    "Severity",
    "SignatureState",
    "audit",
    "load_policy",
]
