//! HTTP-level tests of the server, each against a fresh SQLite database.

mod helpers;
mod server_functions;
