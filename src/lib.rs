//! casedesk: case tracking and annual-report figures for a county government
//! office. See README.md for the layout; DESIGN.md (shared) is the contract.

pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod deadlines;
pub mod demo;
pub mod digest;
pub mod domain;
pub mod error;
pub mod files;
pub mod indexer;
pub mod maintenance;
pub mod metrics;
pub mod notify;
pub mod progress;
pub mod report;
pub mod request_log;
pub mod service;
pub mod state;
pub mod transfer;
pub mod web;
