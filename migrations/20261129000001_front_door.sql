-- Front-door hardening (issue 9).

-- A sign-in is bound to the browser that started it: the SHA-256 of a nonce kept in that
-- browser's cookie. Requests issued before this migration cannot be bound and are dropped.
DELETE FROM saml_requests;
ALTER TABLE saml_requests ADD COLUMN browser_binding TEXT NOT NULL DEFAULT '';

-- Session ids are stored as their SHA-256 from now on, so plaintext rows are ended; each
-- session also remembers when it began, for the absolute lifetime.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

-- Refused sign-ins are audited as one row per source and minute, with a count.
ALTER TABLE audit_events ADD COLUMN repeat_count BIGINT NOT NULL DEFAULT 1;
