-- API tokens: a user's personal CLI tokens, later also service-account keys.
-- Only the SHA-256 of a token is stored, with its last six characters for display.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('user', 'service_account')),
    owner_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    last_six      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    revoked_by    TEXT
);
CREATE INDEX api_tokens_owner ON api_tokens (owner_kind, owner_id, revoked_at);

-- Who did what to whom: every credential and membership change, every sign-in.
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT,
    actor_email   TEXT,
    actor_token   TEXT,
    action        TEXT NOT NULL,
    target_kind   TEXT,
    target_id     TEXT,
    target_email  TEXT,
    source_ip     TEXT,
    request_id    TEXT,
    detail        TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
