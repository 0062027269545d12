//! The command line as an operator meets it, the real binary run as a child:
//! a setting that cannot be used stops it with the setting's name and the
//! rule, never a panic or a request's error; `import --template` writes what
//! the file name says; `backup` and `restore` on PostgreSQL name PostgreSQL's
//! own tools; `demo --today` takes only days it can load.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use casedesk::db::scratch::Scratch;
use casedesk::db::Backend;

fn pg_url() -> String {
    std::env::var("CASEDESK_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `casedesk ARGS` in `dir` with only the settings given (none inherited).
fn casedesk(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casedesk"));
    command.args(args).current_dir(dir).stdin(Stdio::null()).env("CASEDESK_LOG", "warn");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("CASEDESK_") || k == "DATABASE_URL") {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    command.output().expect("casedesk runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

#[test]
fn a_bad_setting_stops_every_command_naming_the_setting_and_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/casedesk.db").display());
    let cases: [(&[&str], (&str, &str), &str); 4] = [
        (
            &["report", "--year", "2024"],
            ("CASEDESK_TOKEN_TTL_HOURS", "0"),
            "CASEDESK_TOKEN_TTL_HOURS: must be from 1 to 720 hours, got 0",
        ),
        // Reached actix's assertion and a backtrace before.
        (
            &["serve", "--dev"],
            ("CASEDESK_WORKERS", "0"),
            "CASEDESK_WORKERS: must be from 1 to 1024 threads, got 0",
        ),
        (
            &["migrate"],
            ("CASEDESK_SMTP_URL", "mail.example.cn:25"),
            "CASEDESK_SMTP_URL: must start with smtp:// or smtps://",
        ),
        (
            &["serve"],
            ("CASEDESK_PUBLIC_URL", "https://xinfang.example.cn"),
            "CASEDESK_JWT_SECRET: is required without --dev",
        ),
    ];
    for (args, setting, expected) in cases {
        let output = casedesk(dir.path(), args, &[("DATABASE_URL", &url), setting]);
        assert_eq!(output.status.code(), Some(2), "{args:?} with {setting:?}: {}", stderr(&output));
        let said = stderr(&output);
        assert!(said.starts_with(&format!("casedesk: {expected}")), "{args:?} with {setting:?}: {said}");
        assert_eq!(said.lines().count(), 1, "one sentence, no backtrace: {said}");
    }
    assert!(!dir.path().join("data").exists(), "nothing was opened or created");
}

fn short_admin_password_is_refused_by_name(backend: Backend) {
    let scratch = Scratch::create(backend, &pg_url(), "cli").expect("a scratch database");
    let dir = tempfile::tempdir().unwrap();
    let output = casedesk(
        dir.path(),
        &["serve", "--dev"],
        &[
            ("DATABASE_URL", &scratch.url),
            ("CASEDESK_ADMIN_PASSWORD", "x"),
            ("CASEDESK_LISTEN", "127.0.0.1:0"),
        ],
    );
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    // It read "casedesk: cannot prepare the database: the request has invalid fields".
    assert!(
        said.ends_with("casedesk: CASEDESK_ADMIN_PASSWORD: must be 8 to 128 characters, got 1"),
        "{said}"
    );

    // An address already taken names its setting too.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = casedesk(
        dir.path(),
        &["serve", "--dev"],
        &[
            ("DATABASE_URL", &scratch.url),
            ("CASEDESK_LISTEN", &address),
            ("CASEDESK_BACKGROUND_TASKS", "false"),
        ],
    );
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("casedesk: CASEDESK_LISTEN: cannot listen on {address}")), "{said}");
}

#[test]
fn short_admin_password_is_refused_by_name_on_sqlite() {
    short_admin_password_is_refused_by_name(Backend::Sqlite);
}

#[test]
fn short_admin_password_is_refused_by_name_on_postgres() {
    short_admin_password_is_refused_by_name(Backend::Postgres);
}

#[test]
fn the_import_template_is_written_in_the_format_its_name_says() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/casedesk.db").display());
    let refused = casedesk(dir.path(), &["import", "--template", "template.txt"], &[("DATABASE_URL", &url)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("an .xlsx workbook or a .csv file"), "{}", stderr(&refused));
    assert!(
        !dir.path().join("template.txt").exists() && !dir.path().join("data").exists(),
        "nothing written"
    );

    for name in ["template.csv", "模板.XLSX"] {
        let output = casedesk(dir.path(), &["import", "--template", name], &[("DATABASE_URL", &url)]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        if name.ends_with(".csv") {
            // It was a workbook ("PK…") whatever the name said.
            let text = String::from_utf8(bytes).expect("CSV in UTF-8");
            let header = text.trim_start_matches('\u{feff}').lines().next().unwrap().to_owned();
            assert!(
                text.starts_with('\u{feff}') && header.starts_with("渠道,外部编号,标题,内容"),
                "{header}"
            );
            assert_eq!(text.lines().count(), 2, "the headers and the sample row");
        } else {
            assert!(bytes.starts_with(b"PK\x03\x04"), "an .xlsx workbook");
        }
    }
}

#[test]
fn backup_and_restore_on_postgresql_name_its_own_tools() {
    let dir = tempfile::tempdir().unwrap();
    // Not a server this test reaches: the commands refuse before connecting.
    let url = "postgres://casedesk:secret@db.internal/casedesk";
    for (command, tool) in [("backup", "pg_dump --format=custom"), ("restore", "pg_restore --no-owner")] {
        let output = casedesk(dir.path(), &[command, "casedesk.dump"], &[("DATABASE_URL", url)]);
        let said = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{said}");
        assert!(said.contains(tool) && said.contains("\"$DATABASE_URL\""), "{said}");
        assert!(!said.contains("secret"), "the URL's password is not repeated: {said}");
    }
    assert!(!dir.path().join("casedesk.dump").exists());
}

#[test]
fn the_demo_is_loaded_as_of_a_day_from_2025_up_to_today() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/casedesk.db").display());
    for (day, expected) in [
        ("2024-12-31", "--today must be 2025-01-01 or later"),
        ("2999-01-01", "--today cannot be after today"),
        ("31.12.2025", "--today must be a date (YYYY-MM-DD)"),
    ] {
        let output = casedesk(dir.path(), &["demo", "--today", day], &[("DATABASE_URL", &url)]);
        assert_eq!(output.status.code(), Some(1), "{day}");
        assert!(stderr(&output).contains(expected), "{day}: {}", stderr(&output));
    }
    assert!(!dir.path().join("data").exists(), "refused before the database is opened");
}
