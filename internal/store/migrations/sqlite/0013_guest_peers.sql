-- An organisation-wide event kept from guests (no_guests) may still reach
-- the guests who share a channel with its user_id (guest_peers): a user's
-- profile change (user.updated) reaches the guests of that user's channels,
-- live and on resume (ADR 0017).
ALTER TABLE events ADD COLUMN guest_peers INTEGER NOT NULL DEFAULT 0;
