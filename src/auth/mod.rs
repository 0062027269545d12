//! Who is calling: password hashing (argon2id), login tokens (JWT HS256) and
//! the [`AuthUser`] extractor that handlers take as an argument.

pub mod cache;
mod extract;
pub mod password;
pub mod throttle;
pub mod token;

pub use extract::{authenticate, Admin, AuthUser, OfficeStaff};
