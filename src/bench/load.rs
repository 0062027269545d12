//! The bulk loader of `bench stats`: a year of cases straight into the
//! tables, through the database module's bulk insert.

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};

use crate::db::models::NewCaseRow;
use crate::db::{self, Db};
use crate::domain::calendar::{LimitUnit, TimeLimit};
use crate::domain::ids::DepartmentId;
use crate::domain::intake;
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::{Rating, RatingSource};
use crate::domain::time;
use crate::error::AppError;
use crate::progress::Progress;

/// Rows per insert statement: PostgreSQL binds at most 65,535 parameters in
/// one, and a case has 32 columns.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Loads `n` cases received in 2024 straight into the tables (through the
/// same insert as every loader of history, a few thousand per transaction),
/// then builds the rollups.
pub(super) fn bulk_load(db: &Db, n: usize) -> Result<(), AppError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let departments: Vec<DepartmentId> = db.write_blocking(|conn| {
        let now = time::now_utc();
        (0..50)
            .map(|i| {
                db::departments::insert(
                    conn,
                    &db::models::NewDepartment {
                        name: format!("承办单位{i:02}"),
                        code: format!("D{i:02}"),
                        email: None,
                        active: true,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .map_err(AppError::from)
            })
            .collect()
    })?;
    let channels = [
        ("mailbox", "MB", 5),
        ("minhu", "MH", 80),
        ("gov_web", "GW", 2),
        ("disclosure", "GK", 3),
        ("suggestion", "JY", 10),
    ];
    let year_start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date");
    let limit = Some(TimeLimit { amount: 15, unit: LimitUnit::Workday });
    let mut sequences = [0usize; 5];
    let batch = 5_000;
    let mut loaded = 0;
    let progress = Progress::counted("loading cases", n as u64, "");
    while loaded < n {
        let rows: Vec<NewCaseRow> = (0..batch.min(n - loaded))
            .map(|_| {
                let pick = rng.random_range(0..100);
                let mut cumulative = 0;
                let c = channels
                    .iter()
                    .position(|(_, _, weight)| {
                        cumulative += weight;
                        pick < cumulative
                    })
                    .unwrap_or(0);
                sequences[c] += 1;
                let (code, prefix, _) = channels[c];
                // Anywhere in 2024, Beijing time (a leap year: 366 days).
                let received = time::start_of_office_day(year_start)
                    + chrono::Duration::seconds(rng.random_range(0..366 * 86_400));
                let seconds: i64 = rng.random_range(3_600..30 * 86_400);
                let closed_at = received + chrono::Duration::seconds(seconds);
                let closed = rng.random_bool(0.98);
                let rating = match rng.random_range(0..10) {
                    0..=6 => Rating::Satisfied,
                    7..=8 => Rating::BasicallySatisfied,
                    _ => Rating::Unsatisfied,
                };
                NewCaseRow {
                    tracking_no: intake::tracking_number(prefix, 2024, sequences[c] as i32),
                    channel: code.into(),
                    external_ref: None,
                    title: "关于小区停车难的问题".into(),
                    content: "我们小区停车位严重不足，希望有关部门协调解决。".into(),
                    category: None,
                    citizen_name: None,
                    citizen_phone: None,
                    citizen_email: None,
                    citizen_address: None,
                    is_public: false,
                    query_code_hash: "x".into(),
                    received_at: received,
                    due_at: Some(received + chrono::Duration::days(21)),
                    state: if closed { CaseState::Closed } else { CaseState::Processing },
                    created_by: None,
                    created_at: received,
                    updated_at: received,
                    time_limit: limit.map(|l| l.amount as i32),
                    time_limit_unit: limit.map(|l| l.unit),
                    extension_limit: limit.map(|l| l.amount as i32),
                    extension_unit: limit.map(|l| l.unit),
                    department_id: Some(departments[rng.random_range(0..departments.len())]),
                    reply: None,
                    replied_at: None,
                    closed_at: closed.then_some(closed_at),
                    rating: closed.then_some(rating),
                    result_rating: if code == "suggestion" { closed.then_some(rating) } else { None },
                    rating_source: closed.then_some(RatingSource::Callback),
                    rated_at: closed.then_some(closed_at),
                    handling_seconds: closed.then_some(seconds),
                    handling_workdays: closed.then_some((seconds / 86_400 * 5 / 7) as i32),
                    resolved: None,
                    callback_state: None,
                    callback_due_at: None,
                    callback_at: None,
                    rectification_state: None,
                    rectification_due_at: None,
                    rating_excluded_at: None,
                }
            })
            .collect();
        db.write_blocking(|conn| {
            for statement in rows.chunks(ROWS_PER_STATEMENT) {
                db::cases::insert_many(conn, statement)?;
            }
            Ok(())
        })?;
        loaded += rows.len();
        progress.set(loaded as u64);
    }
    progress.finish();
    let progress = Progress::spinner("building the rollups, the planner's statistics and the visibility map");
    db.write_blocking(|conn| Ok(db::rollups::rebuild(conn)?))?;
    // Outside a transaction: PostgreSQL does not vacuum inside one.
    db::refresh_statistics(&mut *db.pool().get()?)?;
    progress.finish();
    Ok(())
}
