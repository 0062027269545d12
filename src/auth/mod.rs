//! Who is calling: password hashing (argon2id), login tokens (JWT HS256), the
//! sign-in throttle, and the caller with the proofs of its role
//! ([`AuthUser`], [`Admin`], [`OfficeStaff`], [`Overseer`]) that handlers take
//! as arguments and service functions ask for. Signing in, and turning a token
//! into an account, are use cases of the service layer (`service::sessions`).

pub mod cache;
mod extract;
pub mod password;
pub mod throttle;
pub mod token;

pub use extract::{Admin, AuthUser, Authentication, OfficeStaff, Overseer, RoleProof};
