-- The journal's tables. `microweb --app journal init-db` (or init_db()) runs this
-- file: it drops the tables first, so it also resets the data.
DROP TABLE IF EXISTS entry;
DROP TABLE IF EXISTS user;

CREATE TABLE user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT UNIQUE NOT NULL,
    password TEXT NOT NULL
);

CREATE TABLE entry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES user (id),
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
