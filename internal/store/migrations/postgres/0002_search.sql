-- Full-text search over messages (see docs/search.md), PostgreSQL dialect.
-- The Go tokenizer (internal/search) produces the same space-separated
-- terms as for SQLite's FTS5 table; the store writes them as a tsvector
-- literal (no PostgreSQL parser or dictionary in between): body terms
-- (words, lightly stemmed, and CJK bigrams in text order) weigh A, uni
-- terms (every CJK character) B, meta facets ('haslink', channel and author
-- scopes) C, so that FTS5's column filters become weight restrictions in the
-- tsquery. The column is called rowid, like the FTS5 table's, so that the
-- queries are shared; it is the message id. Rows are written in the same
-- transaction as the message; hidden (deleted, recalled) messages have none.
-- Messages that existed before this migration are indexed by
-- `parley admin reindex`.
CREATE TABLE message_search (
    rowid BIGINT   PRIMARY KEY,
    doc   TSVECTOR NOT NULL
);
CREATE INDEX message_search_doc ON message_search USING GIN (doc);
