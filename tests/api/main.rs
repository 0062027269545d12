//! Integration tests: the real service on port 0 over HTTP, against a fresh
//! database per test, on SQLite and on PostgreSQL (`<area>::sqlite::<test>`
//! and `<area>::postgres::<test>`). Every response is checked against
//! `api-spec/openapi.yaml`.

mod helpers;
mod openapi;

mod admin;
mod after_closure;
mod auth;
mod authorization;
mod cases;
mod categories;
mod concurrency;
mod deadlines;
mod errors;
mod export;
mod figures;
mod imports;
mod ipv6;
mod lifecycle;
mod migrations;
mod notifications;
mod ops;
mod public;
mod publication;
