-- Invitation links (internal/account, ADR 0013): an admin invites people to
-- the organisation by a link, optionally bound to one e-mail address. Only
-- the SHA-256 of the link's token is stored. revoked_at is 0 while the
-- invitation is not revoked; uses counts the accounts created with it.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    token_hash BLOB    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    max_uses   INTEGER NOT NULL,
    uses       INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX invitations_org ON invitations(org_id, id);
