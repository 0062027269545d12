//! Rows as stored, and the insert and update forms of each table, a file per
//! entity. Query code lives in the per-table modules of `db`; callers outside
//! `db` name these types, never a query module's.

mod assignment;
mod calendar;
mod case;
mod channel;
mod department;
mod event;
mod idempotency;
mod import;
mod letter;
mod message;
mod user;

pub use assignment::*;
pub use calendar::*;
pub use case::*;
pub use channel::*;
pub use department::*;
pub use event::*;
pub use idempotency::*;
pub use import::*;
pub use letter::*;
pub use message::*;
pub use user::*;
