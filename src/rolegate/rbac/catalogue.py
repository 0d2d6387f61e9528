"""Fixed role catalogues that live in code, not rows."""

from __future__ import annotations

# CSP organization roles: the fixed catalogue (the last three are add-ons). ctrl-hub's
# role catalogue is this list plus the org's custom roles.
ORG_ROLES: dict[str, str] = {
    "org_owner": "Organization Owner",
    "org_admin": "Organization Administrator",
    "org_member": "Organization Member",
    "developer": "Developer",
    "billing_read_only": "Billing Read-only",
    "support_user": "Support User",
}

# Who may administer IAM (ctrl-hub groups, CSP reads): owners and admins.
IAM_ADMIN_ROLES = frozenset({"org_owner", "org_admin"})

DEFAULT_ENVIRONMENTS: tuple[tuple[str, str], ...] = (
    ("Development", "dev"),
    ("Staging", "staging"),
    ("Production", "prod"),
)
