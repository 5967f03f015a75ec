//! The Roster server: store, core, HTTP wiring and command line.

pub mod cli;
pub mod core;
pub mod mail;
pub mod ops;
pub mod rest;
pub mod seed;
pub mod store;
pub mod transfer;
pub mod web;
pub mod widgets;
