//! Import batches: their record, refused rows and counts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::*;
use crate::domain::ids::UserId;

/// An import run (issue 15) and its counts.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct ImportRecord {
    pub id: i64,
    /// The file's name as given.
    pub file_name: String,
    /// `xlsx` or `csv`.
    pub format: String,
    /// A dry run checks and counts but writes no case.
    pub dry_run: bool,
    /// `running`, `finished` or `failed`.
    pub state: String,
    /// The file's header row, as a JSON array (the refused-rows file repeats it).
    pub headers: String,
    /// Data rows read.
    pub rows_total: i32,
    /// Rows that made a new case.
    pub rows_new: i32,
    /// Rows that moved an existing case forward.
    pub rows_updated: i32,
    /// Rows that changed nothing.
    pub rows_unchanged: i32,
    /// Rows refused, with their reasons in `import_refusals`.
    pub rows_refused: i32,
    /// Why a failed run stopped.
    pub error: Option<String>,
    /// Who ran it (none from the command line).
    pub created_by: Option<UserId>,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// An import run to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = imports)]
pub struct NewImport {
    pub file_name: String,
    pub format: String,
    pub dry_run: bool,
    pub state: String,
    pub headers: String,
    pub created_by: Option<UserId>,
    pub started_at: NaiveDateTime,
}

/// A refused row of an import.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_refusals)]
pub struct ImportRefusal {
    /// The import.
    pub import_id: i64,
    /// Line of the file (the header is line 1).
    pub line: i32,
    /// The row's cells as text, a JSON array.
    pub cells: String,
    /// 错误原因: every problem, naming the field.
    pub reason: String,
}

/// Counts of an import batch, added to its record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    /// Data rows read.
    pub rows: i32,
    /// New cases.
    pub new: i32,
    /// Cases moved forward.
    pub updated: i32,
    /// Rows that changed nothing.
    pub unchanged: i32,
    /// Rows refused.
    pub refused: i32,
}

impl std::ops::AddAssign for ImportCounts {
    fn add_assign(&mut self, o: ImportCounts) {
        self.rows += o.rows;
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.refused += o.refused;
    }
}
