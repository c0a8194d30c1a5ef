-- Full-text search over messages (see docs/search.md). The Go tokenizer
-- (internal/search) writes space-separated terms, so FTS5's 'ascii'
-- tokenizer only splits on spaces: body holds words (lightly stemmed) and
-- CJK bigrams in text order, uni every CJK character, meta facets such as
-- 'haslink'. The rowid is the message id. Contentless: snippets are cut
-- from messages.text, so the text is not stored twice; contentless_delete
-- lets edits, deletions and recalls remove a row. Rows are written in the
-- same transaction as the message. Messages that existed before this
-- migration are indexed by `parley admin reindex`.
CREATE VIRTUAL TABLE message_search USING fts5(
    body, uni, meta,
    content = '', contentless_delete = 1, tokenize = 'ascii', detail = full
);
-- Relevance: BM25 with CJK unigrams weighing less than words and bigrams,
-- and facets not at all.
INSERT INTO message_search (message_search, rank) VALUES ('rank', 'bm25(1.0, 0.4, 0.0)');
