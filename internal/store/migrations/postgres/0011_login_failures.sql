-- Login rate limiting shared by every node (internal/auth, ADR 0018),
-- PostgreSQL dialect: the same table and column as
-- migrations/sqlite/0011_login_failures.sql.

CREATE TABLE login_failures (
    subject   TEXT   PRIMARY KEY,
    failures  BIGINT NOT NULL,
    last_at   BIGINT NOT NULL,
    forget_at BIGINT NOT NULL
);
CREATE INDEX login_failures_forget ON login_failures(forget_at);

ALTER TABLE security_policies ADD COLUMN sso_require_2fa BOOLEAN NOT NULL DEFAULT FALSE;
