//! Import and export of cases as spreadsheets (issue 15). The format itself
//! (headers, Chinese names, date forms) is `domain::transfer`; this module
//! renders and reads files, and `db::transfer` does the storage side.

pub mod export;
pub mod import;
pub mod limits;
pub mod read;
pub mod template;
mod workbook;
