//! What casedesk's test binaries share: the real service spawned on port 0
//! against a fresh database on either backend ([`helpers`]), every response
//! held against `api-spec/openapi.yaml` ([`openapi`]), and requests to the
//! pages as a browser sends them, without one ([`pages`]). The API tests
//! (`tests/api/`) and the browser tests (`tests/browser/`) both use it.

pub mod helpers;
pub mod openapi;
pub mod pages;
