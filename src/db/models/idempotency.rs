//! Stored responses replayed for a retried `POST /api/v1/cases`.

use diesel::prelude::*;

/// A stored response.
#[derive(Debug, Clone, Queryable)]
pub struct StoredResponse {
    /// Hash of the request body it answered.
    pub request_hash: String,
    pub status: i32,
    /// Its JSON body.
    pub body: String,
}
