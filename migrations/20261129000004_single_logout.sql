-- SAML Single Logout. A session remembers the NameID and SessionIndex it was signed in with
-- (lifted out of the data, like user_id), so an IdP's LogoutRequest can end exactly those
-- sessions on every replica. Issued requests now say what they were: an AuthnRequest or a
-- LogoutRequest, and each kind is answered only by its own kind of response.
ALTER TABLE sessions ADD COLUMN saml_name_id TEXT;
ALTER TABLE sessions ADD COLUMN saml_session_index TEXT;
CREATE INDEX sessions_saml_name_id ON sessions (saml_name_id);
ALTER TABLE saml_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'authn';
