-- Endpoint D, set 0 (three roles made permanent, no resource, no notifications). Fixed by hand.
BEGIN;
SELECT id FROM groups WHERE id = '${group_id}' AND org_id = '${org_id}' FOR UPDATE;
UPDATE role_assignments SET ends_at = NULL, resource = CASE WHEN kind = 'service' THEN NULL ELSE resource END, updated_by = '${owner_user_id}', updated_at = now() WHERE group_id = '${group_id}' AND surface = 'csp' AND ((kind = 'organization' AND role_key = 'developer') OR kind = 'custom' OR (kind = 'service' AND service_definition_id = '${service_id}'));
UPDATE groups SET updated_at = now() WHERE id = '${group_id}';
INSERT INTO audit_events (id, org_id, surface, action, actor_type, actor_id, target_type, target_id, before, after, request_id) VALUES (gen_random_uuid(), '${org_id}', 'csp', 'csp.group.roles.update', 'user', '${owner_user_id}', 'group', '${group_id}', '{"organizationRoles": [{"name": "developer", "expiresAt": 2000000000}], "customRoles": [{"name": "auditor", "expiresAt": 2000000000}], "serviceRoles": [{"name": "${service_role}", "resource": "${resource}", "expiresAt": 2000000000}]}', '{"organizationRoles": [{"name": "developer", "expiresAt": null}], "customRoles": [{"name": "auditor", "expiresAt": null}], "serviceRoles": [{"name": "${service_role}", "resource": null, "expiresAt": null}]}', gen_random_uuid()::text);
COMMIT;
