//! Integration tests of the `migrate` binary: the real binary, run in
//! temporary project directories against real SQLite files and a real
//! PostgreSQL server (started by `scripts/pg.sh` when needed; these tests
//! never skip). Every captured stdout and stderr is checked for the test
//! server's password.

mod adopt;
mod branches;
mod common;
mod definitions;
mod deploy;
mod embedded;
mod errors;
mod exclude;
mod fleet;
mod history;
mod interrupted;
mod offline;
#[path = "../support/run.rs"]
mod run;
mod rust;
mod session;
mod squash;
mod terminal;
mod url;
