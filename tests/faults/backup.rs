//! `casedesk backup` while 8 clients register cases, `casedesk restore` of
//! the copy into a fresh directory, and the service started on it: every
//! case acknowledged before the backup began is there, numbers are gap-free,
//! rollups equal a recount, SQLite finds the file sound. A truncated copy is
//! refused and leaves nothing behind.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use casedesk::db::ConnectionManager;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::harness::{
    assert_intake_sound, casedesk, check_snapshot, client, count, login, serially, ScratchDb, Service,
    ADMIN_PASSWORD,
};
use crate::load::{self, IntakeLoad};

const CLIENTS: usize = 8;

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

async fn backup_during_intake_restores_every_acknowledged_case() {
    let started = Instant::now();
    let db = ScratchDb::sqlite();
    let mut service = Service::new(&db.url, &db.dir.path().join("service"), &[]);
    service.start().await;
    let token = login(&service.base, "admin", ADMIN_PASSWORD).await;
    let progress = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let intake = IntakeLoad {
        bases: vec![service.base.clone()],
        token,
        clients: CLIENTS,
        per_client: 100_000,
        content_chars: 2000,
        tag: "backup".into(),
        timeout: Duration::from_secs(15),
    };
    let clients = tokio::spawn(load::run(intake, progress.clone(), stop.clone()));
    // A history first, so the copy has pages to copy while writers go on.
    while progress.load(Ordering::Relaxed) < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let backups = db.dir.path().join("backups");
    let file = backups.join("casedesk-backup.db");
    let (url, workdir, target) = (db.url.clone(), db.dir.path().join("service"), file.clone());
    let acked_at_start = progress.load(Ordering::Relaxed);
    let backup_started = Instant::now();
    let backup = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        casedesk(&["backup", target.to_str().unwrap()], &url, &workdir)
    })
    .await
    .unwrap();
    let backup_took = backup_started.elapsed();
    let acked_during = progress.load(Ordering::Relaxed) - acked_at_start;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let run = clients.await.unwrap();
    assert!(backup.status.success(), "backup failed: {}", text(&backup.stderr));
    assert!(text(&backup.stdout).starts_with("Backed up"), "{}", text(&backup.stdout));
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "the copy is private");
    assert!(acked_during > 0, "the backup ran while clients registered cases");
    assert!(run.unexpected.is_empty(), "answers other than 201 or 503: {:?}", run.unexpected);

    // Restored into a fresh directory, and served.
    let fresh = tempfile::tempdir().unwrap();
    let restored_url = format!("sqlite://{}", fresh.path().join("data").join("casedesk.db").display());
    let restore = casedesk(&["restore", file.to_str().unwrap()], &restored_url, fresh.path());
    assert!(restore.status.success(), "restore failed: {}", text(&restore.stderr));
    let mut restored = Service::new(&restored_url, &fresh.path().join("service"), &[]);
    restored.start().await;
    let restored_token = login(&restored.base, "admin", ADMIN_PASSWORD).await;

    let before = run.acked.before(backup_started);
    let mut conn = ConnectionManager::new(&restored_url).unwrap().establish().unwrap();
    let check = check_snapshot(&mut conn, &before, &run.acked);
    let in_copy = count(&mut conn, "SELECT COUNT(*) AS n FROM cases");
    let integrity: IntegrityCheck =
        diesel::sql_query("PRAGMA integrity_check").get_result(&mut conn).unwrap();
    // The last case acknowledged before the backup began, through the restored service's API.
    let (last_key, _) = before.when.iter().max_by_key(|(_, at)| **at).expect("cases before the backup");
    let number = &before.first[last_key];
    let listed = client(Duration::from_secs(10))
        .get(format!("{}/api/v1/cases?q={number}", restored.base))
        .bearer_auth(&restored_token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();

    // A truncated copy is refused and leaves the directory as it was.
    let bytes = std::fs::read(&file).unwrap();
    let truncated = backups.join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let elsewhere_url = format!("sqlite://{}", elsewhere.path().join("data").join("casedesk.db").display());
    let refused = casedesk(&["restore", truncated.to_str().unwrap()], &elsewhere_url, elsewhere.path());
    // Into the directory that holds the restored database: refused too.
    let occupied = casedesk(&["restore", file.to_str().unwrap()], &restored_url, fresh.path());

    println!(
        "backup during intake (sqlite): {CLIENTS} clients, {} cases acknowledged before the backup began, \
         {acked_during} during it ({:.0?}), {} in all, {in_copy} in the copy; restored and served: {check}; \
         integrity_check {}; \
         truncated copy: {}; {:.1} s",
        before.first.len(),
        backup_took,
        run.acked.first.len(),
        integrity.integrity_check,
        text(&refused.stderr),
        started.elapsed().as_secs_f64()
    );
    assert_intake_sound(&check, &before);
    assert_eq!(integrity.integrity_check, "ok");
    assert_eq!(
        listed["items"][0]["tracking_no"],
        number.as_str(),
        "the restored service serves it: {listed}"
    );
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("truncated"), "{}", text(&refused.stderr));
    assert!(!elsewhere.path().join("data").exists(), "a refused restore leaves nothing behind");
    assert!(!occupied.status.success());
    assert!(
        text(&occupied.stderr).contains("only into an empty data directory"),
        "{}",
        text(&occupied.stderr)
    );
}

#[test]
fn backup_during_intake_on_sqlite_restores_every_acknowledged_case() {
    serially(backup_during_intake_restores_every_acknowledged_case());
}
