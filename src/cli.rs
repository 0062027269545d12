//! The command line: `casedesk [serve]`, `migrate`, `user add`, `report`, `demo`, `import`, `export`,
//! `backup`, `restore`, `bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::Application;
use crate::auth::password;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::report::ReportFormat;
use crate::service::accounts;

/// casedesk — citizen case tracking for a county government office.
#[derive(Debug, Parser)]
#[command(name = "casedesk", version, about)]
pub struct Cli {
    /// Settings file (default: ./casedesk.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default command).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the annual report section of a year.
    Report(ReportArgs),
    /// Load a demo county into an empty database: departments, staff, the
    /// 2023–2024 history and the county's work since 2025 up to today.
    Demo(DemoArgs),
    /// Import cases with their history from an .xlsx or CSV file (or write
    /// the template with --template).
    Import(ImportArgs),
    /// Write cases to a CSV file or workbook in the import template's columns
    /// (phone and email in full: this is the operator's copy).
    Export(ExportArgs),
    /// Write a consistent copy of the SQLite database to a new file (0600),
    /// also while the service runs; on PostgreSQL, says the pg_dump command.
    Backup(FileArgs),
    /// Put a backup in place as the SQLite database, after checking it; only
    /// into an empty data directory.
    Restore(FileArgs),
    /// Measure the service: `casedesk bench` (the same as `bench api`), `bench stats` or `bench transfer`.
    Bench(BenchArgs),
    /// The load generator of `bench api`, which starts it in a process of its own.
    #[command(hide = true)]
    BenchLoad,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct BenchArgs {
    #[command(subcommand)]
    command: Option<BenchCommand>,
    /// Without a subcommand: `bench api`'s options.
    #[command(flatten)]
    api: BenchApiArgs,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Intake, reads and the workflow over HTTP, against the database's own intake limit.
    Api(BenchApiArgs),
    /// The statistics endpoints over N loaded cases, while intake goes on.
    Stats(BenchStatsArgs),
    /// Import of N rows from CSV, then export of every case as CSV over HTTP.
    Transfer(BenchTransferArgs),
    /// How often the routing suggestion names the department that closed the
    /// case, leave-one-out over the demo county's closed cases.
    Routing(BenchRoutingArgs),
}

#[derive(Debug, Args)]
struct BenchRoutingArgs {
    #[command(flatten)]
    target: BenchTarget,
}

#[derive(Debug, Args)]
struct BenchTransferArgs {
    #[command(flatten)]
    target: BenchTarget,
    /// Rows to import.
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Cases loaded before the export, besides the imported ones.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
}

#[derive(Debug, Args)]
struct BenchTarget {
    /// Database to run against (a fresh one, removed afterwards).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: crate::bench::BenchBackend,
    /// PostgreSQL server for --backend postgres (a scratch schema is created in it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_url: String,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct BenchApiArgs {
    #[command(flatten)]
    target: BenchTarget,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// The service's database connection pool size.
    #[arg(long, default_value_t = 16)]
    pool_size: u32,
}

#[derive(Debug, Args)]
struct BenchStatsArgs {
    #[command(flatten)]
    target: BenchTarget,
    /// Cases to load, all received in 2024.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
    /// Calls per endpoint; the median is reported.
    #[arg(long, default_value_t = 15)]
    repeat: usize,
    /// Cases registered per second while the figures are read (a city hotline
    /// with millions of cases a year averages well under one per second).
    #[arg(long, default_value_t = 20.0)]
    intake_rate: f64,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Load the county as it stood at the end of this day's office hours
    /// (YYYY-MM-DD, from 2025-01-01 up to today) instead of now.
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
}

#[derive(Debug, Args)]
struct FileArgs {
    /// The backup file.
    file: PathBuf,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// The year, e.g. 2024.
    #[arg(long)]
    year: i32,
    /// The format (xlsx needs --output).
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The .xlsx workbook or CSV file to import.
    #[arg(required_unless_present = "template", conflicts_with = "template")]
    file: Option<PathBuf>,
    /// Check and count every row, write no case (the refused rows are still recorded).
    #[arg(long)]
    dry_run: bool,
    /// The workbook's sheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// A CSV file's encoding: utf-8 or gb18030 (gbk) (default: detected).
    #[arg(long)]
    encoding: Option<String>,
    /// Write the refused rows, with 错误原因, to this CSV file.
    #[arg(long, value_name = "FILE")]
    refused: Option<PathBuf>,
    /// Write the import template to this file instead: an .xlsx workbook
    /// (with a sheet of instructions) or a .csv file, as its name says.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// csv (UTF-8 with BOM) or xlsx.
    #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
    format: String,
    /// Write to this file (required for xlsx; CSV goes to standard output without it).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only this channel (code).
    #[arg(long)]
    channel: Option<String>,
    /// Only cases received on or after this day (YYYY-MM-DD, Beijing).
    #[arg(long, value_name = "DATE")]
    received_from: Option<String>,
    /// Only cases received before this day (YYYY-MM-DD, Beijing).
    #[arg(long, value_name = "DATE")]
    received_to: Option<String>,
}

#[derive(Debug, Default, Args)]
struct ServeArgs {
    /// Development mode: a random JWT secret when none is configured.
    #[arg(long)]
    dev: bool,
    /// Load the demo county first if the database is empty.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from CASEDESK_NEW_USER_PASSWORD,
    /// or generated and printed once.
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
struct UserAddArgs {
    /// Login name.
    #[arg(long)]
    username: String,
    /// admin, clerk, handler or leader.
    #[arg(long)]
    role: String,
    /// Name shown in the audit trail.
    #[arg(long)]
    display_name: String,
    /// Department code (required for handlers).
    #[arg(long)]
    department: Option<String>,
    /// Email address.
    #[arg(long)]
    email: Option<String>,
}

/// Parses the command line and runs the command; the exit code says how it went.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let dev = matches!(&cli.command, Some(Command::Serve(args)) if args.dev);
    let settings = match Settings::load(cli.config.as_deref(), dev) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("casedesk: {e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    if let (Command::Serve(_), Err(e)) = (&command, settings.jwt_key()) {
        eprintln!("casedesk: {e}");
        return ExitCode::from(2);
    }
    let result = match command {
        Command::Serve(args) => {
            if args.demo {
                if let Err(e) = demo(&settings, None, true) {
                    eprintln!("casedesk: {e}");
                    return ExitCode::FAILURE;
                }
            }
            serve(settings)
        }
        Command::Migrate => migrate(&settings),
        Command::User(UserCommand::Add(args)) => add_user(&settings, args),
        Command::Report(args) => print_report(&settings, args),
        Command::Demo(args) => demo(&settings, args.today.as_deref(), false),
        Command::Export(args) => export(&settings, args),
        Command::Import(args) => import(&settings, args),
        Command::Backup(args) => backup(&settings, &args.file),
        Command::Restore(args) => restore(&settings, &args.file),
        Command::Bench(BenchArgs { command: None, api: args })
        | Command::Bench(BenchArgs { command: Some(BenchCommand::Api(args)), .. }) => {
            crate::bench::api(crate::bench::ApiOptions {
                backend: args.target.backend,
                pg_url: args.target.pg_url,
                concurrency: args.concurrency.max(1),
                duration: std::time::Duration::from_secs(args.duration.max(1)),
                pool_size: args.pool_size.clamp(1, 256),
                json: args.target.json,
            })
        }
        Command::BenchLoad => crate::bench::load_generator(),
        Command::Bench(BenchArgs { command: Some(BenchCommand::Transfer(args)), .. }) => {
            crate::bench::transfer(crate::bench::TransferOptions {
                backend: args.target.backend,
                pg_url: args.target.pg_url,
                rows: args.rows.max(1),
                cases: args.cases,
                json: args.target.json,
            })
        }
        Command::Bench(BenchArgs { command: Some(BenchCommand::Routing(args)), .. }) => {
            crate::bench::routing(crate::bench::RoutingOptions {
                backend: args.target.backend,
                pg_url: args.target.pg_url,
                json: args.target.json,
            })
        }
        Command::Bench(BenchArgs { command: Some(BenchCommand::Stats(args)), .. }) => {
            crate::bench::stats(crate::bench::StatsOptions {
                backend: args.target.backend,
                pg_url: args.target.pg_url,
                cases: args.cases.max(1),
                repeat: args.repeat.max(1),
                intake_rate: args.intake_rate,
                json: args.target.json,
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("casedesk: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: &str) {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CASEDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // One line per request, when its span closes, with method, route, status and request id.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    init_logging(&settings.log_format);
    if settings.dev {
        tracing::warn!("development mode: do not use with real citizens' data");
    }
    actix_web::rt::System::new().block_on(async move {
        let listen = settings.listen.clone();
        let backend = db::Backend::of_url(&settings.database_url)?.name();
        let app = Application::build(settings).await.map_err(|e| e.to_string())?;
        tracing::info!(%listen, port = app.port(), backend, "casedesk is serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn migrate(settings: &Settings) -> Result<(), String> {
    let (db, applied) = Db::open(&settings.database_url, 1)?;
    let backfilled =
        crate::app::prepare_database(&db).map_err(|e| format!("cannot prepare the database: {e}"))?;
    if backfilled > 0 {
        println!("gave {backfilled} earlier cases their due dates");
    }
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for name in applied {
            println!("applied {name}");
        }
    }
    Ok(())
}

fn add_user(settings: &Settings, args: UserAddArgs) -> Result<(), String> {
    let mut errors = FieldErrors::new();
    let username = crate::domain::account::parse_username(&mut errors, &args.username);
    let role = Role::parse(&args.role);
    if role.is_none() {
        errors.add("role", Rule::OneOf(&["admin", "clerk", "handler", "leader"]));
    }
    if !errors.is_empty() {
        let messages: Vec<String> = errors.0.iter().map(|e| format!("--{} {}", e.field, e.rule)).collect();
        return Err(messages.join("; "));
    }
    let (Some(username), Some(role)) = (username, role) else { unreachable!("checked above") };
    let (plain, generated) = match std::env::var("CASEDESK_NEW_USER_PASSWORD") {
        Ok(p) => (p, false),
        Err(_) => (password::generate(), true),
    };
    password::check_new("CASEDESK_NEW_USER_PASSWORD", &plain).map_err(|e| e.0[0].rule.to_string())?;
    let hash = password::hash(&plain)?;
    let db = Db::connect(&settings.database_url, 1)?;
    let department = args.department.clone();
    let email = args.email.clone();
    let display_name = args.display_name.clone();
    let name = username.clone();
    db.write_blocking(move |conn| {
        let department_id = match department {
            Some(code) => Some(
                db::departments::find_by_code(conn, &code.to_ascii_uppercase())?
                    .ok_or_else(|| {
                        AppError::invalid_field("department", Rule::UnknownDepartmentCode(code.clone()))
                    })?
                    .id,
            ),
            None if role == Role::Handler => {
                return Err(AppError::invalid_field("department", Rule::HandlerNeedsDepartment))
            }
            None => None,
        };
        let now = time::now_utc();
        accounts::create_in(
            conn,
            &db::models::NewUser {
                username: name,
                password_hash: hash,
                display_name,
                role,
                department_id,
                email,
                active: true,
                created_at: now,
                updated_at: now,
            },
        )?;
        Ok(())
    })
    .map_err(|e| match e {
        AppError::Validation(errors) => {
            errors.0.iter().map(|e| format!("--{} {}", e.field, e.rule)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    })?;
    if generated {
        println!("Created {role} '{username}' with password: {plain}");
    } else {
        println!("Created {role} '{username}'.");
    }
    Ok(())
}

fn print_report(settings: &Settings, args: ReportArgs) -> Result<(), String> {
    if args.format == ReportFormat::Xlsx && args.output.is_none() {
        return Err("--format xlsx needs --output FILE".into());
    }
    let db = Db::connect(&settings.database_url, 1)?;
    let mut conn = db.pool().get().map_err(|e| e.to_string())?;
    let now = time::now_utc();
    let report = crate::report::annual(&mut conn, args.year, &settings.definition, now, now)
        .map_err(|e| e.to_string())?;
    let bytes = match args.format {
        ReportFormat::Json => serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?,
        ReportFormat::Xlsx => report.xlsx().map_err(|e| e.to_string())?,
        ReportFormat::Text => report.text().into_bytes(),
    };
    match args.output {
        Some(path) => crate::files::write_private(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).map_err(|e| e.to_string())
        }
    }
}

fn import(settings: &Settings, args: ImportArgs) -> Result<(), String> {
    use crate::transfer::{import, read, template};
    if let Some(path) = args.template {
        // Refused before the database is opened (or created).
        let format = template::TemplateFormat::of_path(&path)?;
        let db = Db::connect(&settings.database_url, 1)?;
        let mut conn = db.pool().get().map_err(|e| e.to_string())?;
        let channels = db::channels::list(&mut conn).map_err(|e| e.to_string())?;
        let departments = db::departments::list(&mut conn).map_err(|e| e.to_string())?;
        let bytes = template::render(format, &channels, &departments)?;
        crate::files::write_private(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("Wrote the import template to {}.", path.display());
        return Ok(());
    }
    let db = Db::connect(&settings.database_url, 2)?;
    let Some(path) = args.file else { unreachable!("clap requires FILE without --template") };
    let encoding = match args.encoding.as_deref() {
        None => None,
        Some(name) => {
            Some(read::TextEncoding::parse(name).ok_or("--encoding must be utf-8 or gb18030 (gbk)")?)
        }
    };
    let rows = read::from_path(&path, args.sheet.as_deref(), encoding).map_err(|e| e.to_string())?;
    let progress = match rows.total {
        Some(total) => crate::progress::Progress::counted("importing rows", total as u64, "rows"),
        None => crate::progress::Progress::spinner("importing rows"),
    };
    let options = import::ImportOptions {
        file_name: path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
        dry_run: args.dry_run,
        actor: None,
    };
    let mut refused_so_far = 0;
    let outcome = import::run(&db, rows, options, |counts| {
        progress.set(counts.rows as u64);
        if counts.refused > refused_so_far {
            progress.println(format!("{} rows read, {} refused so far", counts.rows, counts.refused));
            refused_so_far = counts.refused;
        }
    });
    progress.finish();
    let record = outcome.map_err(|e| e.to_string())?;
    let verb = if record.dry_run { "Checked (dry run, nothing written)" } else { "Imported" };
    println!(
        "{verb} {}: {} rows, {} new, {} updated, {} unchanged, {} refused (import {}).",
        record.file_name,
        record.rows_total,
        record.rows_new,
        record.rows_updated,
        record.rows_unchanged,
        record.rows_refused,
        record.id
    );
    if record.rows_refused > 0 {
        let refusals = db
            .write_blocking(|conn| Ok(db::transfer::refusals(conn, record.id)?))
            .map_err(|e| e.to_string())?;
        for refusal in refusals.iter().take(20) {
            eprintln!("  line {}: {}", refusal.line, refusal.reason);
        }
        if refusals.len() > 20 {
            eprintln!("  … and {} more", refusals.len() - 20);
        }
        match &args.refused {
            Some(out) => {
                let bytes = import::refused_csv(&record, &refusals).map_err(|e| e.to_string())?;
                crate::files::write_private(out, &bytes)
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                println!(
                    "The refused rows, with 错误原因, are in {}: fix them and import that file.",
                    out.display()
                );
            }
            None => println!("Write the refused rows with 错误原因 to a file with --refused FILE."),
        }
    }
    Ok(())
}

fn export(settings: &Settings, args: ExportArgs) -> Result<(), String> {
    use crate::transfer::export::{write_all, ExportFormat};
    let format = ExportFormat::parse(&args.format).ok_or("--format must be csv or xlsx")?;
    if format == ExportFormat::Xlsx && args.output.is_none() {
        return Err("--format xlsx needs --output FILE".into());
    }
    let day = |flag: &str, value: Option<String>| -> Result<_, String> {
        value
            .map(|v| {
                time::parse_date(&v)
                    .map(time::start_of_office_day)
                    .ok_or_else(|| format!("--{flag} must be a date (YYYY-MM-DD), not '{v}'"))
            })
            .transpose()
    };
    let filter = db::cases::CaseFilter {
        channel: args.channel,
        received_from: day("received-from", args.received_from)?,
        received_to: day("received-to", args.received_to)?,
        ..Default::default()
    };
    let db = Db::connect(&settings.database_url, 1)?;
    let progress = crate::progress::Progress::spinner("exporting cases");
    let written = match &args.output {
        Some(path) => {
            let file = crate::files::create_private(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            write_all(&db, filter, format, true, &mut std::io::BufWriter::new(file))
        }
        None => write_all(&db, filter, format, true, &mut std::io::stdout().lock()),
    }
    .map_err(|e| e.to_string())?;
    progress.finish();
    eprintln!("Exported {written} cases.");
    Ok(())
}

fn backup(settings: &Settings, file: &std::path::Path) -> Result<(), String> {
    let done = crate::backup::backup(&settings.database_url, file)?;
    println!(
        "Backed up {} cases to {} ({:.1} MB, integrity ok) in {:.1?}. It holds citizens' personal data: keep it \
         as private as the database.",
        done.cases,
        done.file.display(),
        done.bytes as f64 / 1e6,
        done.took
    );
    Ok(())
}

fn restore(settings: &Settings, file: &std::path::Path) -> Result<(), String> {
    let done = crate::backup::restore(&settings.database_url, file)?;
    println!(
        "Restored {} ({} cases, migrations up to {}) as {}. Start the service on it: casedesk serve",
        file.display(),
        done.cases,
        done.migration,
        done.database.display()
    );
    Ok(())
}

/// When the demo is loaded as of: now, or the end of office hours (18:00
/// Beijing time) of `today` when that is past.
fn demo_moment(today: Option<&str>) -> Result<chrono::NaiveDateTime, String> {
    let now = time::now_utc();
    let Some(day) = today else { return Ok(now) };
    let date =
        time::parse_date(day).ok_or_else(|| format!("--today must be a date (YYYY-MM-DD), not '{day}'"))?;
    let evening = time::start_of_office_day(date) + chrono::Duration::hours(18);
    if evening < crate::demo::earliest() {
        return Err("--today must be 2025-01-01 or later: the demo's history runs to the end of 2024".into());
    }
    if date > time::office_date(now) {
        return Err(format!("--today cannot be after today ({})", time::office_date(now)));
    }
    Ok(evening.min(now))
}

/// Loads the demo county. With `only_if_empty`, a database that already has
/// data is left alone (for `serve --demo`); otherwise that is an error.
fn demo(settings: &Settings, today: Option<&str>, only_if_empty: bool) -> Result<(), String> {
    let now = demo_moment(today)?;
    let db = Db::connect(&settings.database_url, 2)?;
    accounts::bootstrap_admin(&db, settings.admin_password.as_deref()).map_err(|e| e.to_string())?;
    if only_if_empty && !db.write_blocking(crate::demo::is_empty).map_err(|e| e.to_string())? {
        return Ok(());
    }
    eprintln!(
        "Loading the demo county (2023 and 2024, and 2025 up to {}) into {} ...",
        time::office_date(now),
        settings.database_url
    );
    let started = std::time::Instant::now();
    let summary = crate::demo::load(&db, now).map_err(|e| e.to_string())?;
    println!(
        "Loaded {} cases ({} of them received since 2025) in {:.0?}.",
        summary.cases,
        summary.recent,
        started.elapsed()
    );
    println!("Open the console at {} and sign in with:", settings.console_url());
    for login in &summary.logins {
        println!(
            "  {:<18} {:<8} {:<18} {}",
            login.username,
            login.role.as_str(),
            login.password,
            login.description
        );
    }
    println!("  admin              admin    (the password set or printed when the database was created)");
    println!(
        "The citizens' pages are at {}: write a letter, look one up, read the published letters.",
        settings.mailbox_url()
    );
    Ok(())
}
