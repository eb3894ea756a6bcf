-- Members an owner removed. Their IdP may still let them sign in: such a sign-in is refused
-- (and the person told why) until an owner allows them back, instead of silently creating a
-- fresh member. Emails are stored lower-cased (emails are ASCII, decision 0007).
CREATE TABLE removed_members (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    removed_at  BIGINT NOT NULL,
    removed_by  TEXT,
    PRIMARY KEY (org_id, email)
);
