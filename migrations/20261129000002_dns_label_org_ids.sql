-- Organization ids become DNS labels: a service account's email is
-- `<name>@org-<organization id>.serviceaccount.com`, so the id is part of a host name, where
-- `_` is not allowed (and `org-org_…` said "org" twice). The legacy `org_` prefix is dropped and
-- any other underscore becomes a hyphen; every reference and every service-account email
-- follows. New rows in the new table first, so foreign keys hold at every step.
INSERT INTO organizations (id, name, created_at)
SELECT REPLACE(CASE WHEN id LIKE 'org\_%' ESCAPE '\' THEN SUBSTR(id, 5) ELSE id END, '_', '-'),
       name, created_at
FROM organizations WHERE id LIKE '%\_%' ESCAPE '\';

UPDATE users
SET org_id = REPLACE(CASE WHEN org_id LIKE 'org\_%' ESCAPE '\' THEN SUBSTR(org_id, 5) ELSE org_id END, '_', '-')
WHERE org_id LIKE '%\_%' ESCAPE '\';

UPDATE api_tokens
SET org_id = REPLACE(CASE WHEN org_id LIKE 'org\_%' ESCAPE '\' THEN SUBSTR(org_id, 5) ELSE org_id END, '_', '-')
WHERE org_id LIKE '%\_%' ESCAPE '\';

UPDATE service_accounts
SET org_id = REPLACE(CASE WHEN org_id LIKE 'org\_%' ESCAPE '\' THEN SUBSTR(org_id, 5) ELSE org_id END, '_', '-')
WHERE org_id LIKE '%\_%' ESCAPE '\';

UPDATE service_accounts SET email = name || '@org-' || org_id || '.serviceaccount.com';

DELETE FROM organizations WHERE id LIKE '%\_%' ESCAPE '\';
