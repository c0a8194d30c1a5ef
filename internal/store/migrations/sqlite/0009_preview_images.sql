-- Link preview images (ADR 0009): the name of a re-encoded thumbnail kept in
-- the blob store under previews/<org>/<image>, and its size; '' and 0 when
-- the page has no image or it was refused.
ALTER TABLE link_previews ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE link_previews ADD COLUMN image_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE link_previews ADD COLUMN image_height INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_previews ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE message_previews ADD COLUMN image_width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_previews ADD COLUMN image_height INTEGER NOT NULL DEFAULT 0;
