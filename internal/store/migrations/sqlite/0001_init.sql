-- Parley schema, SQLite dialect. Times are Unix milliseconds (INTEGER);
-- booleans are 0/1; every row carries org_id so no query crosses tenants.

CREATE TABLE orgs (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT    NOT NULL,
    recall_window_ms      INTEGER NOT NULL,
    receipt_max_members   INTEGER NOT NULL,
    event_seq             INTEGER NOT NULL DEFAULT 0,  -- last allocated event sequence
    events_pruned_seq     INTEGER NOT NULL DEFAULT 0,  -- events up to here were pruned (replay window)
    created_at            INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    email         TEXT    NOT NULL,
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    avatar_url    TEXT    NOT NULL DEFAULT '',
    locale        TEXT    NOT NULL DEFAULT '',
    time_zone     TEXT    NOT NULL DEFAULT '',
    status_text   TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);
-- An e-mail address identifies one account across the installation, so it
-- can be used to log in without naming the organisation.
CREATE UNIQUE INDEX users_email ON users(email);
CREATE UNIQUE INDEX users_org_username ON users(org_id, username);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    token_hash   BLOB    NOT NULL UNIQUE,   -- SHA-256 of the bearer token; the token itself is never stored
    kind         TEXT    NOT NULL,          -- 'cookie' or 'token'
    csrf         TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    address      TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE channels (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    kind            TEXT    NOT NULL,       -- public, private, dm, group
    name            TEXT    NOT NULL DEFAULT '',
    name_key        TEXT,                   -- lower-cased name for uniqueness; NULL for DMs
    dm_key          TEXT,                   -- sorted member ids of a DM or group DM; NULL otherwise
    topic           TEXT    NOT NULL DEFAULT '',
    purpose         TEXT    NOT NULL DEFAULT '',
    announcement    INTEGER NOT NULL DEFAULT 0,
    archived        INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    msg_seq         INTEGER NOT NULL DEFAULT 0,   -- last allocated message sequence
    last_message_at INTEGER NOT NULL DEFAULT 0,
    member_count    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX channels_org_name ON channels(org_id, name_key);
CREATE UNIQUE INDEX channels_org_dm ON channels(org_id, dm_key);

CREATE TABLE channel_members (
    channel_id    INTEGER NOT NULL REFERENCES channels(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    org_id        INTEGER NOT NULL,
    role          TEXT    NOT NULL,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    muted         INTEGER NOT NULL DEFAULT 0,
    starred       INTEGER NOT NULL DEFAULT 0,
    star_order    INTEGER NOT NULL DEFAULT 0,
    joined_at     INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id)
) WITHOUT ROWID;
CREATE INDEX channel_members_user ON channel_members(user_id, channel_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    seq             INTEGER NOT NULL,
    author_id       INTEGER NOT NULL,
    client_id       TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    root_id         INTEGER NOT NULL DEFAULT 0,
    also_in_channel INTEGER NOT NULL DEFAULT 0,
    reply_count     INTEGER NOT NULL DEFAULT 0,
    last_reply_at   INTEGER NOT NULL DEFAULT 0,
    mentions        TEXT    NOT NULL DEFAULT '',  -- comma-separated user ids mentioned by name or @here
    mention_channel INTEGER NOT NULL DEFAULT 0,
    mention_here    INTEGER NOT NULL DEFAULT 0,
    pinned          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER NOT NULL DEFAULT 0,
    deleted_at      INTEGER NOT NULL DEFAULT 0,
    recalled_at     INTEGER NOT NULL DEFAULT 0,
    recalled_by     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_channel_seq ON messages(channel_id, seq);
-- The idempotency key: a retried send finds the original here, also after a restart.
CREATE UNIQUE INDEX messages_client ON messages(author_id, client_id);
CREATE INDEX messages_thread ON messages(root_id, seq) WHERE root_id <> 0;
CREATE INDEX messages_pinned ON messages(channel_id) WHERE pinned = 1;

CREATE TABLE message_edits (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    text        TEXT    NOT NULL,
    edited_at   INTEGER NOT NULL
);
CREATE INDEX message_edits_message ON message_edits(message_id);

CREATE TABLE mentions (
    channel_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    org_id     INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id, seq)
) WITHOUT ROWID;

CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    org_id     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;

-- The durable event log behind every user's stream. Replay reads it; rows
-- older than the replay window are pruned.
CREATE TABLE events (
    org_id     INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    channel_id INTEGER NOT NULL DEFAULT 0,
    user_id    INTEGER NOT NULL DEFAULT 0,
    all_users  INTEGER NOT NULL DEFAULT 0,
    revoke     INTEGER NOT NULL DEFAULT 0,
    type       TEXT    NOT NULL,
    joins      TEXT    NOT NULL DEFAULT '',
    leaves     TEXT    NOT NULL DEFAULT '',
    frame      BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_created ON events(created_at);
