//! Channels and their time limits.

use diesel::prelude::*;

use super::models::{Channel, ChannelChanges};
use super::schema::channels;
use super::DbConnection;

/// Every channel, in display order.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Channel>> {
    channels::table.order((channels::sort_order, channels::code)).load(conn)
}

/// One channel.
pub fn find(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Channel>> {
    channels::table.find(code).get_result(conn).optional()
}

/// Applies changes; returns whether the channel exists.
pub fn update(conn: &mut DbConnection, code: &str, changes: &ChannelChanges) -> QueryResult<bool> {
    Ok(diesel::update(channels::table.find(code)).set(changes).execute(conn)? == 1)
}
