-- Single sign-on and provisioning (docs/sso.md, ADR 0014). Settings that
-- differ per protocol are one JSON object per provider; the secret (OIDC
-- client secret, LDAP bind password) sits in its own column so that no code
-- path that renders settings can carry it out.

CREATE TABLE sso_providers (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL,              -- oidc, saml, ldap
    name        TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    settings    TEXT    NOT NULL DEFAULT '{}', -- protocol settings and the group mapping (JSON)
    secret      TEXT    NOT NULL DEFAULT '',   -- never returned by the API
    synced_at   INTEGER NOT NULL DEFAULT 0,    -- last finished LDAP sync
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX sso_providers_org ON sso_providers(org_id);

-- An identity at a provider (its stable subject) belongs to one user.
CREATE TABLE sso_identities (
    provider_id  INTEGER NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
    subject      TEXT    NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX sso_identities_user ON sso_identities(user_id);

-- A login that went to the identity provider and has not come back yet.
-- Only the SHA-256 of the state is stored; a row is taken (deleted) once.
CREATE TABLE sso_logins (
    state_hash   BLOB    PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    provider_id  INTEGER NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
    nonce        TEXT    NOT NULL,
    verifier     TEXT    NOT NULL,  -- PKCE code verifier
    expires_at   INTEGER NOT NULL
);

-- Assertion ids already accepted (SAML replay protection), kept until the
-- assertion would have expired anyway.
CREATE TABLE sso_assertions (
    provider_id  INTEGER NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
    assertion_id TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (provider_id, assertion_id)
);

-- Bearer tokens an identity provider uses to provision over SCIM; only the
-- SHA-256 of the token is stored.
CREATE TABLE scim_tokens (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scim_tokens_org ON scim_tokens(org_id);
