-- Account security (internal/auth, ADR 0013): per-organisation password and
-- two-factor policy, TOTP secrets with their replay guard, recovery codes,
-- and what sessions need for personal access tokens and two-step login.

-- One row per organisation that changed the defaults; no row means the
-- defaults in auth.DefaultPolicy.
CREATE TABLE security_policies (
    org_id               INTEGER PRIMARY KEY REFERENCES orgs(id),
    password_min_length  INTEGER NOT NULL,
    password_min_classes INTEGER NOT NULL,  -- of lower-case, upper-case, digits, other
    require_2fa          INTEGER NOT NULL DEFAULT 0,
    updated_at           INTEGER NOT NULL
);

-- A user's TOTP (RFC 6238) secret. enabled is 0 while enrolling (the user
-- has not yet typed a code from the authenticator). last_step is the time
-- step of the last accepted code: a code is accepted only for a later step,
-- so one code cannot be used twice.
CREATE TABLE totp_secrets (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    org_id     INTEGER NOT NULL,
    secret     BLOB    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Single-use recovery codes; only their SHA-256 is stored (they are random
-- 80-bit strings, so a fast hash is enough).
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    org_id    INTEGER NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    code_hash BLOB    NOT NULL,
    used_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- Sessions gain: a name and a scope (personal access tokens, kind 'pat'),
-- a pending step ('totp': a password was right and the second factor is
-- awaited; 'enrol': the organisation requires 2FA and the user must set it
-- up before doing anything else), and when they were last used.
ALTER TABLE sessions ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN pending TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
