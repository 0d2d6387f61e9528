"""ctrl-hub dialect (JSON:API): role groups (endpoint E), session tokens."""
