//! Channels and their time limits.

use diesel::prelude::*;

use super::models::{Channel, ChannelChanges};
use super::schema::{channel_categories, channels};
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

/// The categories a channel offers, in order.
pub fn categories(conn: &mut DbConnection, code: &str) -> QueryResult<Vec<String>> {
    channel_categories::table
        .filter(channel_categories::channel.eq(code))
        .order(channel_categories::position)
        .select(channel_categories::name)
        .load(conn)
}

/// Replaces a channel's categories with `names`, in that order.
pub fn replace_categories(conn: &mut DbConnection, code: &str, names: &[String]) -> QueryResult<()> {
    diesel::delete(channel_categories::table.filter(channel_categories::channel.eq(code))).execute(conn)?;
    for (position, name) in names.iter().enumerate() {
        diesel::insert_into(channel_categories::table)
            .values((
                channel_categories::channel.eq(code),
                channel_categories::name.eq(name),
                channel_categories::position.eq(position as i32 + 1),
            ))
            .execute(conn)?;
    }
    Ok(())
}
