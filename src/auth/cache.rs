//! Accounts as the token check needs them, kept for a moment: every request
//! would otherwise pay a blocking database round trip before its handler's
//! own. This instance forgets an account at once when it logs out, changes
//! its password or is changed by an admin; other instances notice within
//! [`USER_TTL`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::db::models::User;
use crate::domain::ids::UserId;

/// How long another instance may honour a token that was just revoked.
pub const USER_TTL: Duration = Duration::from_secs(2);

/// Recently loaded accounts, by id.
#[derive(Debug, Default)]
pub struct UserCache {
    users: RwLock<HashMap<UserId, (User, Instant)>>,
}

impl UserCache {
    /// The account, if loaded within the TTL.
    pub fn get(&self, id: UserId) -> Option<User> {
        let users = self.users.read().unwrap_or_else(|p| p.into_inner());
        users.get(&id).filter(|(_, at)| at.elapsed() < USER_TTL).map(|(user, _)| user.clone())
    }

    /// Remembers an account just loaded.
    pub fn put(&self, user: User) {
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        // Accounts are few; dropping the expired ones bounds the map anyway.
        if users.len() > 10_000 {
            users.retain(|_, (_, at)| at.elapsed() < USER_TTL);
        }
        users.insert(user.id, (user, Instant::now()));
    }

    /// Forgets an account (after logout, a password change or an admin's change).
    pub fn forget(&self, id: UserId) {
        self.users.write().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}
