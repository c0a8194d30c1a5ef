-- Link previews (see docs/api.md, ADR 0009). The organisation setting is on
-- by default. link_previews caches what a URL's page said, per organisation
-- (nothing crosses tenants, not even the fact that a URL was posted); ok = 0
-- records a failed fetch so that it is not retried at every post.
-- message_previews holds each message's previews in text order.
-- preview_queue is the fetcher's durable work queue: a message is queued in
-- the transaction that posts or edits it, and taken off when its previews
-- are stored, so a restart loses no work.
ALTER TABLE orgs ADD COLUMN link_previews INTEGER NOT NULL DEFAULT 1;

CREATE TABLE link_previews (
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    url         TEXT    NOT NULL,
    ok          INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    site_name   TEXT    NOT NULL,
    fetched_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, url)
) WITHOUT ROWID;

CREATE TABLE message_previews (
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    position    INTEGER NOT NULL,
    org_id      INTEGER NOT NULL,
    url         TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    site_name   TEXT    NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

CREATE TABLE preview_queue (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    org_id     INTEGER NOT NULL,
    queued_at  INTEGER NOT NULL
);
