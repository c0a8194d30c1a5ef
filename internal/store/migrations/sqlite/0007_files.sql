-- Uploaded files (docs/files.md), SQLite dialect. The bytes live in the blob
-- store (disk or S3) under blob_key; a row exists only once its blob (and
-- its thumbnail's) is stored. A file is uploaded to a channel and is
-- private to its uploader until a message attaches it (message_id <> 0);
-- from then on the channel's readers see it, unless the message is deleted
-- or recalled.

ALTER TABLE orgs ADD COLUMN file_max_bytes INTEGER NOT NULL DEFAULT 104857600;     -- 100 MiB per file
ALTER TABLE orgs ADD COLUMN file_quota_bytes INTEGER NOT NULL DEFAULT 10737418240; -- 10 GiB per user

CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    channel_id   INTEGER NOT NULL REFERENCES channels(id),
    uploader_id  INTEGER NOT NULL REFERENCES users(id),
    message_id   INTEGER NOT NULL DEFAULT 0,  -- 0 until a message attaches the file
    name         TEXT    NOT NULL,            -- as the user named it, cleaned
    name_key     TEXT    NOT NULL,            -- lower-cased name, for search
    content_type TEXT    NOT NULL,            -- detected from the bytes, not the name
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    blob_key     TEXT    NOT NULL,
    thumb_key    TEXT    NOT NULL DEFAULT '', -- '' when there is no thumbnail
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    preview      TEXT    NOT NULL DEFAULT '', -- image, video, audio, pdf or ''
    created_at   INTEGER NOT NULL
);
CREATE INDEX files_channel ON files(channel_id, id) WHERE message_id <> 0;
CREATE INDEX files_message ON files(message_id) WHERE message_id <> 0;
CREATE INDEX files_uploader ON files(uploader_id);
