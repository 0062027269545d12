//! Integration tests: the real service on port 0 over HTTP, against a fresh
//! database per test, on SQLite and on PostgreSQL (`<area>::sqlite::<test>`
//! and `<area>::postgres::<test>`). Every response is checked against
//! `api-spec/openapi.yaml`. The pages' answers over plain HTTP (forms, CSRF,
//! refusals) are here too (`site_pages`, `console_pages`, `mailbox_pages`): they
//! need no browser. The helpers are `casedesk_testkit`'s, shared with the
//! browser tests.

use casedesk_testkit::{backend_tests, backend_tests_with, helpers, pages};

mod openapi;

mod admin;
mod after_closure;
mod auth;
mod authorization;
mod cases;
mod categories;
mod concurrency;
mod console_pages;
mod deadlines;
mod demo;
mod digest;
mod errors;
mod export;
mod figures;
mod imports;
mod ipv6;
mod lifecycle;
mod mailbox_pages;
mod merges;
mod migrations;
mod notifications;
mod ops;
mod public;
mod publication;
mod returns;
mod scorecard;
mod search;
mod similar;
mod site_pages;
mod topics;
