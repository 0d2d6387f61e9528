-- Endpoint E, set 0 (description and one unconditional binding; the list replaced). Fixed by hand.
BEGIN;
SELECT id FROM groups WHERE id = '${group_id}' AND org_id = '${org_id}' FOR UPDATE;
DELETE FROM role_assignments WHERE group_id = '${group_id}' AND surface = 'ctrlhub' AND kind = 'binding';
INSERT INTO role_assignments (id, org_id, surface, kind, group_id, role_key, condition, is_temporary, position, created_by, updated_by) VALUES (gen_random_uuid(), '${org_id}', 'ctrlhub', 'binding', '${group_id}', 'developer', '{"gate": "AND", "rules": []}', false, 0, '${owner_user_id}', '${owner_user_id}');
UPDATE groups SET description = 'Benchmark group, one binding', updated_at = now() WHERE id = '${group_id}';
INSERT INTO audit_events (id, org_id, surface, action, actor_type, actor_id, target_type, target_id, before, after, request_id) VALUES (gen_random_uuid(), '${org_id}', 'ctrlhub', 'ctrlhub.group.update', 'user', '${owner_user_id}', 'group', '${group_id}', '{"description": "Benchmark group, two bindings", "bindings": [{"role": "developer", "condition": {"gate": "AND", "rules": [{"key": "email_domain", "type": "user", "value": "bench.test", "operator": "has_value"}]}}, {"role": "auditor"}]}', '{"description": "Benchmark group, one binding", "bindings": [{"role": "developer"}]}', gen_random_uuid()::text);
COMMIT;
