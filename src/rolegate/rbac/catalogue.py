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

# The nested org roles, strongest first: each covers the ones after it (owner ⊇ admin ⊇
# member). The add-ons and the org's custom roles are in no tier: they administer nothing
# (only the fixed roles count for IAM), so org_admin and above cover them.
ORG_ROLE_TIERS: tuple[str, ...] = ("org_owner", "org_admin", "org_member")
COVERS_UNTIERED = "org_admin"

# Who may administer IAM (ctrl-hub groups, CSP reads): owners and admins.
IAM_ADMIN_ROLES = frozenset({"org_owner", "org_admin"})

DEFAULT_ENVIRONMENTS: tuple[tuple[str, str], ...] = (
    ("Development", "dev"),
    ("Staging", "staging"),
    ("Production", "prod"),
)
