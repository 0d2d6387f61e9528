"""rolegate: one RBAC store, three vendor dialects."""

__version__ = "0.1.0"
