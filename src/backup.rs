//! `casedesk backup FILE` and `casedesk restore FILE` for the embedded SQLite
//! database. Copying the database file while the service writes can give a
//! torn copy (the file and its write-ahead log are two files, changed page by
//! page); `VACUUM INTO` instead writes a consistent snapshot of one read
//! transaction, while writers go on. A restore checks what it is given
//! (SQLite's own `integrity_check`, and that this binary knows every migration
//! the backup has) and puts it in place only where no database is yet, so it
//! can never overwrite live data. PostgreSQL has its own tools; the commands
//! say which.

use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::{Backend, SQLITE_MIGRATIONS};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupSummary {
    /// The backup file.
    pub file: PathBuf,
    /// Cases it holds.
    pub cases: i64,
    /// Its size in bytes.
    pub bytes: u64,
    /// How long the copy took.
    pub took: Duration,
}

/// What a restore put in place.
#[derive(Debug)]
pub struct RestoreSummary {
    /// The database file it became.
    pub database: PathBuf,
    /// Cases it holds.
    pub cases: i64,
    /// The newest migration it has; the service applies later ones at start.
    pub migration: String,
}

/// The command that backs up a PostgreSQL database (the README quotes it too).
pub fn pg_dump_command(file: &Path) -> String {
    format!("pg_dump --format=custom --no-owner --file={} \"$DATABASE_URL\"", file.display())
}

/// The command that restores such a dump into an empty PostgreSQL database.
pub fn pg_restore_command(file: &Path) -> String {
    format!("pg_restore --no-owner --exit-on-error --dbname=\"$DATABASE_URL\" {}", file.display())
}

/// The SQLite database file a `sqlite://` URL names; on PostgreSQL, the
/// sentence naming the tool to use instead (`tool` builds its command line).
fn sqlite_path(database_url: &str, command: &str, tool: impl Fn() -> String) -> Result<PathBuf, String> {
    match Backend::of_url(database_url)? {
        Backend::Postgres => Err(format!(
            "casedesk {command} handles the embedded SQLite database; this one is PostgreSQL, which has \
             its own tools: {}",
            tool()
        )),
        Backend::Sqlite => Ok(PathBuf::from(&database_url["sqlite://".len()..])),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Opens a SQLite file as it is: no pragmas that would change it.
fn open(path: &Path) -> Result<SqliteConnection, String> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // The service may hold the write lock for a moment, or be recovering its log.
    conn.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    Ok(conn)
}

/// `PRAGMA integrity_check` on `conn`: `Ok` when SQLite finds nothing wrong,
/// else its first findings.
fn integrity(conn: &mut SqliteConnection) -> Result<(), String> {
    let lines: Vec<Line> = diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check()")
        .load(conn)
        .map_err(|e| e.to_string())?;
    match lines.as_slice() {
        [only] if only.line == "ok" => Ok(()),
        found => Err(found.iter().map(|l| l.line.as_str()).collect::<Vec<_>>().join("; ")),
    }
}

fn count_cases(conn: &mut SqliteConnection) -> Result<i64, String> {
    diesel::sql_query("SELECT COUNT(*) AS n FROM cases")
        .get_result::<Count>(conn)
        .map(|c| c.n)
        .map_err(|e| e.to_string())
}

/// Writes a consistent copy of the SQLite database of `database_url` to
/// `file` (new, 0600), while the service may be writing; checks the copy.
pub fn backup(database_url: &str, file: &Path) -> Result<BackupSummary, String> {
    let started = Instant::now();
    let source = sqlite_path(database_url, "backup", || pg_dump_command(file))?;
    if !source.is_file() {
        return Err(format!("there is no database at {} (DATABASE_URL) to back up", source.display()));
    }
    if file.exists() {
        return Err(format!(
            "{} exists already: a backup never overwrites a file; name a new one (e.g. with the date)",
            file.display()
        ));
    }
    // Written under another name and renamed when complete and checked, so a
    // file of the backup's name is always a whole backup.
    let partial = with_suffix(file, ".partial");
    // VACUUM INTO writes into an existing empty file, keeping its mode: the
    // copy holds citizens' personal data and is private from the first byte.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    let written = (|| {
        let mut conn = open(&source)?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(partial.to_string_lossy().into_owned())
            .execute(&mut conn)
            .map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        drop(conn);
        let mut copy = open(&partial)?;
        integrity(&mut copy).map_err(|e| format!("the copy failed its integrity check: {e}"))?;
        let cases = count_cases(&mut copy)?;
        drop(copy);
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| e.to_string())?;
        Ok(cases)
    })();
    let cases = match written {
        Ok(cases) => cases,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, file).map_err(|e| format!("cannot name the backup {}: {e}", file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary { file: file.to_owned(), cases, bytes, took: started.elapsed() })
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// What a SQLite file's first 100 bytes promise about it, against its
/// length: a truncated file is refused with a sentence before SQLite reads it.
fn check_header(file: &Path) -> Result<(), String> {
    let not_sqlite = || format!("{} is not a SQLite database, so not a casedesk backup", file.display());
    let mut header = [0u8; 100];
    let mut opened = std::fs::File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let length = opened.metadata().map_err(|e| e.to_string())?.len();
    opened.read_exact(&mut header).map_err(|_| not_sqlite())?;
    if &header[..16] != b"SQLite format 3\0" {
        return Err(not_sqlite());
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        size => u64::from(size),
    };
    let pages = u64::from(u32::from_be_bytes([header[28], header[29], header[30], header[31]]));
    // The page count is valid when the "version valid for" number equals the
    // change counter (SQLite's file format, section 1.3.7).
    let valid = header[92..96] == header[24..28];
    if valid && length != pages * page_size {
        return Err(format!(
            "{} is {length} bytes but its header says {} ({pages} pages of {page_size}): the file is \
             truncated or not a whole copy, so it is not restored",
            file.display(),
            pages * page_size
        ));
    }
    Ok(())
}

/// The migrations a database has applied, oldest first.
fn applied_migrations(conn: &mut SqliteConnection) -> Result<Vec<String>, String> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let versions: Vec<Version> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load(conn)
            .map_err(|_| {
                "it has no casedesk migrations: it is another program's SQLite database".to_owned()
            })?;
    Ok(versions.into_iter().map(|v| v.version).collect())
}

/// Whether a directory is missing or holds nothing.
fn is_empty_dir(dir: &Path) -> Result<bool, String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(format!("cannot read {}: {e}", dir.display())),
    }
}

/// Checks the backup `file` and makes it the SQLite database of
/// `database_url`, whose folder must be empty or absent: a restore never
/// replaces data. Nothing is left behind when the file is refused.
pub fn restore(database_url: &str, file: &Path) -> Result<RestoreSummary, String> {
    let target = sqlite_path(database_url, "restore", || pg_restore_command(file))?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !is_empty_dir(&dir)? {
        return Err(format!(
            "{} is not empty: a restore goes only into an empty data directory, so that it never \
             replaces a database; stop the service and move that directory aside first",
            dir.display()
        ));
    }
    if !file.is_file() {
        return Err(format!("there is no backup file {}", file.display()));
    }
    check_header(file)?;
    let created_dir = !dir.exists();
    crate::files::private_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let staging = dir.join(".restoring.db");
    let outcome = (|| {
        std::fs::copy(file, &staging).map_err(|e| format!("cannot copy {}: {e}", file.display()))?;
        std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
        let refused = |why: String| format!("{} is not restored: {why}", file.display());
        let mut conn = open(&staging).map_err(refused)?;
        integrity(&mut conn).map_err(|e| refused(format!("SQLite's integrity check found: {e}")))?;
        let applied = applied_migrations(&mut conn).map_err(refused)?;
        let known: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map_err(|e| e.to_string())?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
            return Err(refused(format!(
                "it was written by a newer casedesk (migration {unknown} is unknown to this one); \
                 restore it with that version"
            )));
        }
        let migration =
            applied.last().cloned().ok_or_else(|| refused("it has no migrations applied".into()))?;
        let cases = count_cases(&mut conn).map_err(refused)?;
        drop(conn);
        std::fs::rename(&staging, &target).map_err(|e| format!("cannot put it in place: {e}"))?;
        Ok(RestoreSummary { database: target.clone(), cases, migration })
    })();
    if outcome.is_err() {
        // Refused: the directory is as it was (empty, or not there at all).
        let _ = std::fs::remove_file(&staging);
        for suffix in ["-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&staging, suffix));
        }
        if created_dir {
            let _ = std::fs::remove_dir(&dir);
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}", path.display())
    }

    /// A migrated database with a table row or two, as the service leaves it.
    fn database(dir: &Path) -> PathBuf {
        let path = dir.join("data").join("casedesk.db");
        crate::db::Db::connect(&sqlite_url(&path), 1).expect("a migrated database");
        path
    }

    #[test]
    fn a_backup_is_private_whole_and_restores_into_an_empty_directory_only() {
        let base = tempfile::tempdir().unwrap();
        let source = database(base.path());
        let file = base.path().join("backup.db");
        let done = backup(&sqlite_url(&source), &file).unwrap();
        assert_eq!(done.cases, 0);
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!with_suffix(&file, ".partial").exists());
        let again = backup(&sqlite_url(&source), &file).unwrap_err();
        assert!(again.contains("never overwrites"), "{again}");

        let fresh = base.path().join("fresh").join("casedesk.db");
        let restored = restore(&sqlite_url(&fresh), &file).unwrap();
        assert_eq!(restored.database, fresh);
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
        let twice = restore(&sqlite_url(&fresh), &file).unwrap_err();
        assert!(twice.contains("only into an empty data directory"), "{twice}");
    }

    #[test]
    fn a_truncated_or_foreign_file_is_refused_and_leaves_nothing() {
        let base = tempfile::tempdir().unwrap();
        let source = database(base.path());
        let file = base.path().join("backup.db");
        backup(&sqlite_url(&source), &file).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let truncated = base.path().join("truncated.db");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let target = base.path().join("restored").join("casedesk.db");
        let refusal = restore(&sqlite_url(&target), &truncated).unwrap_err();
        assert!(refusal.contains("truncated"), "{refusal}");
        assert!(!target.parent().unwrap().exists(), "nothing is left behind");

        let foreign = base.path().join("foreign.db");
        open(&foreign)
            .unwrap()
            .batch_execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let refusal = restore(&sqlite_url(&target), &foreign).unwrap_err();
        assert!(refusal.contains("another program's SQLite database"), "{refusal}");
        let text = base.path().join("notes.txt");
        std::fs::write(
            &text,
            "not a database at all, but long enough to have a header of a hundred bytes .....",
        )
        .unwrap();
        let refusal = restore(&sqlite_url(&target), &text).unwrap_err();
        assert!(refusal.contains("is not a SQLite database"), "{refusal}");
        assert!(!target.parent().unwrap().exists());
    }

    #[test]
    fn postgresql_is_refused_naming_its_own_tools() {
        let url = "postgres://casedesk@db.internal/casedesk";
        let refusal = backup(url, Path::new("casedesk.dump")).unwrap_err();
        assert!(refusal.contains(&pg_dump_command(Path::new("casedesk.dump"))), "{refusal}");
        assert!(!refusal.contains("db.internal"), "the URL (which may hold a password) is not repeated");
        let refusal = restore(url, Path::new("casedesk.dump")).unwrap_err();
        assert!(refusal.contains("pg_restore"), "{refusal}");
    }
}
