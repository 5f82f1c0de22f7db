import ApusCore

/// The content tables. An entry keeps one row per locale it has values in: the default locale's
/// row holds the fields that are not localised, so a save in one locale writes one or two rows,
/// never every locale. Unique values (slugs among them) are claimed in a table of their own whose
/// primary key is the uniqueness rule, and every slug an entry was ever published under is kept
/// so an old URL answers with a redirect.
enum ContentMigrations {
    static let all = [
        Migration(
            module: "content",
            name: "0001_content",
            statements: [
                """
                CREATE TABLE content_types (
                    id TEXT PRIMARY KEY,
                    api_id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    public INTEGER NOT NULL,
                    url_pattern TEXT,
                    default_locale TEXT NOT NULL,
                    locales TEXT NOT NULL,
                    fields TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE content_entries (
                    id TEXT PRIMARY KEY,
                    type_id TEXT NOT NULL,
                    author_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    publish_at TEXT,
                    unpublish_at TEXT,
                    published_at TEXT,
                    unpublished_changes INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX content_entries_type ON content_entries (type_id, id)",
                "CREATE INDEX content_entries_author ON content_entries (author_id)",
                "CREATE INDEX content_entries_schedule ON content_entries (status, publish_at)",
                """
                CREATE TABLE content_entry_locales (
                    entry_id TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    draft TEXT NOT NULL,
                    published TEXT,
                    PRIMARY KEY (entry_id, locale)
                )
                """,
                """
                CREATE TABLE content_revisions (
                    id TEXT PRIMARY KEY,
                    entry_id TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    locale TEXT NOT NULL,
                    author_id TEXT NOT NULL,
                    change_note TEXT,
                    field_values TEXT NOT NULL,
                    autosave INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    UNIQUE (entry_id, number)
                )
                """,
                """
                CREATE TABLE content_unique_values (
                    type_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    value TEXT NOT NULL,
                    entry_id TEXT NOT NULL,
                    PRIMARY KEY (type_id, field, locale, value)
                )
                """,
                "CREATE INDEX content_unique_values_entry ON content_unique_values (entry_id)",
                """
                CREATE TABLE content_published_slugs (
                    type_id TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    slug TEXT NOT NULL,
                    entry_id TEXT NOT NULL,
                    PRIMARY KEY (type_id, locale, slug)
                )
                """,
                "CREATE INDEX content_published_slugs_entry ON content_published_slugs (entry_id)",
            ]
        ),
        // Full-text search over published and draft views of each entry's locales. SQLite keeps
        // two FTS5 tables, one stemming English (Porter) and one only folding (other languages);
        // PostgreSQL one table with a tsvector made with the locale's text search configuration
        // and a GIN index. The vocabulary the word break splits unspaced queries over is kept for
        // both.
        Migration(
            module: "content",
            name: "0002_search",
            sqlite: [
                """
                CREATE VIRTUAL TABLE content_search_stemmed USING fts5(
                    entry_id UNINDEXED, type_id UNINDEXED, locale UNINDEXED, state UNINDEXED, title, body,
                    tokenize = 'porter unicode61 remove_diacritics 2'
                )
                """,
                """
                CREATE VIRTUAL TABLE content_search_plain USING fts5(
                    entry_id UNINDEXED, type_id UNINDEXED, locale UNINDEXED, state UNINDEXED, title, body,
                    tokenize = 'unicode61 remove_diacritics 2'
                )
                """,
                "CREATE TABLE content_search_words (word TEXT PRIMARY KEY)",
                // FTS5 finds a row by its rowid alone: which rowid holds which view.
                """
                CREATE TABLE content_search_rows (
                    entry_id TEXT NOT NULL, locale TEXT NOT NULL, state TEXT NOT NULL, row_id INTEGER NOT NULL,
                    PRIMARY KEY (entry_id, locale, state)
                )
                """,
            ],
            postgres: [
                """
                CREATE TABLE content_search (
                    entry_id TEXT NOT NULL, type_id TEXT NOT NULL, locale TEXT NOT NULL, state TEXT NOT NULL,
                    config TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, document TSVECTOR NOT NULL,
                    PRIMARY KEY (entry_id, locale, state)
                )
                """,
                "CREATE INDEX content_search_document ON content_search USING GIN (document)",
                "CREATE TABLE content_search_words (word TEXT PRIMARY KEY)",
            ]
        ),
        // The published values of indexed fields, one row per entry and field, so the delivery
        // API filters and sorts on an index instead of reading every entry's JSON. Text compares
        // byte by byte on both engines (PostgreSQL's "C" collation), so a page boundary is the
        // same wherever it is computed.
        Migration(
            module: "content",
            name: "0003_field_index",
            sqlite: [
                """
                CREATE TABLE content_field_values (
                    entry_id TEXT NOT NULL, field TEXT NOT NULL, type_id TEXT NOT NULL, text_value TEXT, number_value REAL,
                    PRIMARY KEY (entry_id, field)
                )
                """,
                "CREATE INDEX content_field_values_text ON content_field_values (type_id, field, text_value, entry_id)",
                "CREATE INDEX content_field_values_number ON content_field_values (type_id, field, number_value, entry_id)",
                "CREATE INDEX content_entries_published ON content_entries (type_id, status, published_at, id)",
            ],
            postgres: [
                """
                CREATE TABLE content_field_values (
                    entry_id TEXT NOT NULL, field TEXT NOT NULL, type_id TEXT NOT NULL, text_value TEXT COLLATE "C",
                    number_value DOUBLE PRECISION, PRIMARY KEY (entry_id, field)
                )
                """,
                "CREATE INDEX content_field_values_text ON content_field_values (type_id, field, text_value, entry_id)",
                "CREATE INDEX content_field_values_number ON content_field_values (type_id, field, number_value, entry_id)",
                "CREATE INDEX content_entries_published ON content_entries (type_id, status, published_at, id)",
            ]
        ),
    ]
}
