"""Infisical dialect: project groups (A), identity privileges (B), project templates (C)."""
