//! Who is calling: password hashing (argon2id), login tokens (JWT HS256) and
//! the [`AuthUser`] extractor that handlers take as an argument, and the
//! sign-in checks shared by the API and the pages ([`login`]).

pub mod cache;
mod extract;
pub mod login;
pub mod password;
pub mod throttle;
pub mod token;

pub use extract::{authenticate, resolve, Admin, AuthUser, OfficeStaff, Resolved};
