-- Credential lifecycle: optional expiry, where a key was last used from, and an optional
-- allow-list of client networks per key; an organisation-wide maximum lifetime for personal
-- tokens. NULL means: never expires / not recorded / from anywhere / no maximum.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_ip TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_user_agent TEXT;
-- Comma-separated CIDRs, normalised when stored (e.g. "10.0.0.0/8,2001:db8::/32").
ALTER TABLE api_tokens ADD COLUMN allowed_cidrs TEXT;
ALTER TABLE organizations ADD COLUMN personal_token_max_days BIGINT;
