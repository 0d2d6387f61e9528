-- Endpoint A, role set 0 (one built-in role). Fixed by hand: the least SQL for the job.
BEGIN;
SELECT pm.id AS membership_id FROM project_memberships pm JOIN groups g ON g.id = pm.group_id WHERE pm.project_id = '${project_id}' AND pm.group_id = '${group_id}' AND g.org_id = '${org_id}' FOR UPDATE OF pm \gset
DELETE FROM role_assignments WHERE project_membership_id = :membership_id;
INSERT INTO role_assignments (id, org_id, surface, kind, project_membership_id, role_key, is_temporary, position, created_by, updated_by) VALUES (gen_random_uuid(), '${org_id}', 'infisical', 'project', :membership_id, 'viewer', false, 0, '${actor_id}', '${actor_id}');
UPDATE project_memberships SET updated_at = now() WHERE id = :membership_id;
INSERT INTO audit_events (id, org_id, surface, action, actor_type, actor_id, target_type, target_id, before, after, request_id) VALUES (gen_random_uuid(), '${org_id}', 'infisical', 'project-group.roles.update', 'identity', '${actor_id}', 'project-group-membership', :membership_id, '{"roles": [{"role": "viewer"}, {"role": "secret-reader"}, {"role": "member", "isTemporary": true, "temporaryRange": "1h"}]}', '{"roles": [{"role": "viewer"}]}', gen_random_uuid()::text);
COMMIT;
