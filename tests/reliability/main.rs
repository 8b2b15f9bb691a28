//! Reliability under concurrency, crashes and lock contention, on real
//! PostgreSQL and SQLite databases.
