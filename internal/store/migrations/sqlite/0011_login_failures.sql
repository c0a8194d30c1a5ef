-- Login rate limiting shared by every node (internal/auth, ADR 0018): the
-- failure counters of the lockout with backoff, and whether single sign-on
-- logins also need Parley's second factor.

-- One row per limited subject: "u:" and the login name typed, "a:" and a
-- client address, "#" and a user id (second-factor and password-confirm
-- failures), "l:" a directory provider id, ":" and a directory login name.
-- failures counts the failures of the current burst; a failure after
-- forget_at starts a new burst. The lockout itself is derived from failures
-- and last_at by auth, not stored. Rows past forget_at are swept.
CREATE TABLE login_failures (
    subject   TEXT    PRIMARY KEY,
    failures  INTEGER NOT NULL,
    last_at   INTEGER NOT NULL,
    forget_at INTEGER NOT NULL
);
CREATE INDEX login_failures_forget ON login_failures(forget_at);

-- 1: SSO and LDAP sign-ins of users with TOTP also pass Parley's second
-- step, and require_2fa's enrolment applies to them (default 0: the
-- identity provider owns the second factor).
ALTER TABLE security_policies ADD COLUMN sso_require_2fa INTEGER NOT NULL DEFAULT 0;
