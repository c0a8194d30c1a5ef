-- The audit trail (internal/audit): an append-only log of security-relevant
-- actions. org_id 0 holds what belongs to no organisation (a login with an
-- unknown name); there is no foreign key, so that the trail outlives what it
-- talks about. details is a JSON object of strings.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    at          INTEGER NOT NULL,              -- Unix milliseconds
    actor_id    INTEGER NOT NULL DEFAULT 0,    -- 0: anonymous or the system
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   INTEGER NOT NULL DEFAULT 0,
    address     TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,              -- 'success' or 'failure'
    details     TEXT    NOT NULL DEFAULT '{}'
);
-- Pages go newest first by id within an organisation; each filter has an
-- index that keeps that order.
CREATE INDEX audit_log_org ON audit_log(org_id, id);
CREATE INDEX audit_log_actor ON audit_log(org_id, actor_id, id);
CREATE INDEX audit_log_action ON audit_log(org_id, action, id);
CREATE INDEX audit_log_target ON audit_log(org_id, target_type, target_id, id);
CREATE INDEX audit_log_at ON audit_log(org_id, at);

-- Append-only: the store has no UPDATE or DELETE for the table, and the
-- database refuses them too, so a bug or a stray script cannot rewrite
-- history. (Retention, when it comes, will be an explicit migration.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
