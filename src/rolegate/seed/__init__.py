"""Declarative fixtures: ``rolegate seed FILE`` (YAML or JSON)."""
