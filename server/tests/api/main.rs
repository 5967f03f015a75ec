//! HTTP-level tests of the server, each against a fresh SQLite database.

mod authorization;
mod dns;
mod domains;
mod helpers;
mod rest;
mod schema;
mod server_functions;
mod web;
