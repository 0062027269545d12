//! The rules of casedesk, free of I/O: the case state machine, who may do what,
//! the shapes of valid input, and time in the office's zone. Everything here is
//! unit-tested directly; the database and HTTP layers only call into it.

pub mod account;
pub mod actions;
pub mod calendar;
pub mod callback;
pub mod case;
pub mod citizen;
pub mod digest;
pub mod event;
pub mod figures;
pub mod ids;
pub mod import;
pub mod intake;
pub mod lifecycle;
pub mod notice;
pub mod publication;
pub mod rating;
pub mod rectification;
pub mod role;
pub mod scorecard;
pub mod text;
pub mod time;
pub mod topics;
pub mod transfer;
pub mod validation;
