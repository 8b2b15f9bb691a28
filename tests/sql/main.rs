//! Real-world SQL: valid statements accepted, typos rejected.
