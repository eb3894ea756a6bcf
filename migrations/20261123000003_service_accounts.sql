-- Service accounts: non-human identities of the organization. A deleted account's row is
-- removed (its keys stay, revoked); a new account with the same name is a new identity.
CREATE TABLE service_accounts (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'collaborator')),
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE UNIQUE INDEX service_accounts_org_name ON service_accounts (org_id, name);
CREATE INDEX service_accounts_org_email ON service_accounts (org_id, email);

-- Who created a key, readable after that person is gone.
ALTER TABLE api_tokens ADD COLUMN created_by_email TEXT;
-- The keys view pages through every active key of the organization, newest first.
CREATE INDEX api_tokens_org_active ON api_tokens (org_id, revoked_at, created_at, id);
