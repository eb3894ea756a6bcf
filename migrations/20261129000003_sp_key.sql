-- The SP's own key pair (signing AuthnRequests), generated once at first start when none is
-- configured, so that every replica signs with the same key. One row, id 'current'.
CREATE TABLE sp_keys (
    id               TEXT PRIMARY KEY,
    private_key_pem  TEXT NOT NULL,
    certificate_pem  TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
