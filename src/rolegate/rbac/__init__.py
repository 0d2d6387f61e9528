"""RBAC core: roles, permission rules and their evaluation; knows no web framework."""
