-- Portable between SQLite and PostgreSQL: TEXT ids, BIGINT Unix-second timestamps.
-- See docs/decisions/0001-one-sql-dialect.md.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    email            TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('owner', 'collaborator')),
    created_at       BIGINT NOT NULL,
    last_sign_in_at  BIGINT
);
-- Emails are unique case-insensitively.
CREATE UNIQUE INDEX users_email_unique ON users (LOWER(email));

-- tower-sessions records; user_id is lifted out of the data so a user's sessions can be ended.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- AuthnRequest ids we issued; each is consumed by exactly one response.
CREATE TABLE saml_requests (
    id          TEXT PRIMARY KEY,
    next_path   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX saml_requests_expires_at ON saml_requests (expires_at);

-- Replay cache: assertion ids accepted, kept until the assertion's NotOnOrAfter.
CREATE TABLE saml_assertions_seen (
    assertion_id  TEXT PRIMARY KEY,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX saml_assertions_seen_expires_at ON saml_assertions_seen (expires_at);
