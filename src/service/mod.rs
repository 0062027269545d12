//! The service layer: every use case of casedesk, once, for every surface that
//! offers it — the API (`src/api/`), the pages (`src/web/`), the command line,
//! the demo loader and the benchmarks.
//!
//! A function here takes the state it needs (usually [`AppState`]), a proof of
//! the caller's role where the use case has one (`crate::auth::RoleProof`:
//! [`AuthUser`], [`Admin`], [`OfficeStaff`], [`Overseer`] — it cannot be had
//! without the check), and typed input; it returns typed output or
//! [`AppError`]. It decides permissions, visibility and masking, runs the
//! database work on the blocking pool (`Db::read` / `Db::write`, one
//! transaction per change with its audit event), and knows nothing of HTTP:
//! handlers parse a request into the input, call one function, and render its
//! output as JSON or a page.
//!
//! Error types by layer: `src/db/` returns diesel's `QueryResult`, `src/domain/`
//! its own typed errors (field errors, refusals), and this layer and everything
//! above it [`AppError`], which renders as problem+json for the API and as a
//! page for people.
//!
//! [`AppState`]: crate::state::AppState
//! [`AuthUser`]: crate::auth::AuthUser
//! [`Admin`]: crate::auth::Admin
//! [`OfficeStaff`]: crate::auth::OfficeStaff
//! [`Overseer`]: crate::auth::Overseer
//! [`AppError`]: crate::error::AppError

pub mod access;
pub mod accounts;
pub mod bulletin;
pub mod calendar;
pub mod cases;
pub mod categories;
pub mod channels;
pub mod departments;
pub mod exports;
pub mod imports;
pub mod letters;
pub mod limits;
pub mod outbox;
pub mod paging;
pub mod reports;
pub mod scorecard;
pub mod sessions;
pub mod similar;
pub mod stats;
pub mod topics;
pub mod views;
