"""VMware CSP dialect: group roles (endpoint D), API-token auth."""
