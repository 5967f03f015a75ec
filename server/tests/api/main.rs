//! HTTP-level tests of the server, each against a fresh SQLite database.

mod authorization;
mod authorization_module;
mod bulk;
mod dns;
mod domains;
mod factors;
mod helpers;
mod hosted;
mod mail;
mod openapi;
mod ops;
mod organizations_page;
mod password_reset;
mod plans;
mod rest;
mod schema;
mod server_functions;
mod settings;
mod site_files;
mod transfer;
mod user_detail;
mod web;
mod widgets;
