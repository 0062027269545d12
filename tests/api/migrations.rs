//! Every migration runs up, down and up again on both backends, and the
//! hand-written diesel schema matches the migrated tables.

use casedesk::db::{self, ConnectionManager};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::helpers::{Backend, TestDb};

fn round_trip(backend: Backend) {
    let (_db, url) = TestDb::create(backend);
    let manager = ConnectionManager::new(&url).unwrap();
    let mut conn = manager.establish().unwrap();
    let applied = db::run_migrations(&mut conn).unwrap();
    assert!(!applied.is_empty());
    assert_schema_matches(&mut conn);
    let reverted = db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len(), "every migration has a working down.sql");
    assert!(conn.batch_execute("SELECT 1 FROM cases").is_err(), "down removed the tables");
    assert_eq!(db::run_migrations(&mut conn).unwrap(), applied);
    assert_schema_matches(&mut conn);
}

/// Loading every table through the diesel schema fails if a column is missing or mistyped.
fn assert_schema_matches(conn: &mut db::DbConnection) {
    use casedesk::db::models::*;
    use casedesk::db::schema::*;
    departments::table.load::<Department>(conn).unwrap();
    users::table.load::<User>(conn).unwrap();
    let channels = channels::table.load::<Channel>(conn).unwrap();
    assert_eq!(channels.len(), 5, "the channels of DESIGN.md are seeded");
    cases::table.load::<Case>(conn).unwrap();
    let calendar = calendar_days::table.load::<casedesk::db::models::CalendarDay>(conn).unwrap();
    assert_eq!(calendar.len(), 108, "the 2024-2026 schedules are seeded");
    case_events::table.load::<CaseEvent>(conn).unwrap();
    login_failures::table
        .select((login_failures::id, login_failures::username, login_failures::at))
        .load::<(i64, String, chrono::NaiveDateTime)>(conn)
        .unwrap();
    tracking_counters::table.load::<(String, i32, i32)>(conn).unwrap();
    imports::table.load::<ImportRecord>(conn).unwrap();
    import_refusals::table.select(ImportRefusal::as_select()).load(conn).unwrap();
    idempotency_keys::table.load::<(i64, String, String, i32, String, chrono::NaiveDateTime)>(conn).unwrap();
}

#[test]
fn sqlite_migrations_run_up_down_up() {
    round_trip(Backend::Sqlite);
}

#[test]
fn postgres_migrations_run_up_down_up() {
    round_trip(Backend::Postgres);
}

fn event_log_is_append_only(backend: Backend) {
    let (_db, url) = TestDb::create(backend);
    let mut conn = ConnectionManager::new(&url).unwrap().establish().unwrap();
    db::run_migrations(&mut conn).unwrap();
    conn.batch_execute(
        "INSERT INTO cases (tracking_no, channel, title, content, is_public, query_code_hash, received_at, state, created_at, updated_at) \
         VALUES ('MB2024000001', 'mailbox', 't', 'c', FALSE, 'h', '2024-01-01 00:00:00', 'registered', '2024-01-01 00:00:00', '2024-01-01 00:00:00'); \
         INSERT INTO case_events (case_id, action, at) VALUES (1, 'register', '2024-01-01 00:00:00');",
    )
    .unwrap();
    assert!(conn.batch_execute("UPDATE case_events SET note = 'rewritten'").is_err());
    assert!(conn.batch_execute("DELETE FROM case_events").is_err());
}

#[test]
fn sqlite_event_log_is_append_only() {
    event_log_is_append_only(Backend::Sqlite);
}

#[test]
fn postgres_event_log_is_append_only() {
    event_log_is_append_only(Backend::Postgres);
}

/// Cases registered before due dates existed get them when the deadline
/// migration is applied (the backfill runs after migrations, at start and in
/// `casedesk migrate`).
fn earlier_cases_get_due_dates(backend: Backend) {
    use diesel_migrations::MigrationHarness;
    let (_db, url) = TestDb::create(backend);
    let mut conn = ConnectionManager::new(&url).unwrap().establish().unwrap();
    match &mut conn {
        db::DbConnection::Sqlite(c) => c.run_next_migration(db::SQLITE_MIGRATIONS).map(drop),
        db::DbConnection::Pg(c) => c.run_next_migration(db::POSTGRES_MIGRATIONS).map(drop),
    }
    .unwrap();
    conn.batch_execute(
        "INSERT INTO cases (tracking_no, channel, title, content, is_public, query_code_hash, received_at, state, created_at, updated_at) \
         VALUES ('MB2024000001', 'mailbox', 't', 'c', FALSE, 'h', '2024-09-27 02:00:00', 'processing', '2024-09-27 02:00:00', '2024-09-27 02:00:00');",
    )
    .unwrap();
    db::run_migrations(&mut conn).unwrap();
    assert_eq!(conn.transaction(casedesk::deadlines::backfill).unwrap(), 1);
    assert_eq!(conn.transaction(casedesk::deadlines::backfill).unwrap(), 0, "idempotent");
    let (due, limit): (Option<chrono::NaiveDateTime>, Option<i32>) = casedesk::db::schema::cases::table
        .select((casedesk::db::schema::cases::due_at, casedesk::db::schema::cases::time_limit))
        .first(&mut conn)
        .unwrap();
    assert_eq!(due.unwrap().to_string(), "2024-10-23 15:59:59", "end of Oct 23 in Beijing");
    assert_eq!(limit, Some(15));
}

#[test]
fn sqlite_earlier_cases_get_due_dates() {
    earlier_cases_get_due_dates(Backend::Sqlite);
}

#[test]
fn postgres_earlier_cases_get_due_dates() {
    earlier_cases_get_due_dates(Backend::Postgres);
}
