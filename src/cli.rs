//! The command line: `casedesk [serve]`, `migrate`, `user add`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::accounts;
use crate::app::Application;
use crate::auth::password;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::role::Role;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::report::ReportFormat;

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
    /// Load a demo county (departments, staff, 2023–2024 cases) into an empty database.
    Demo,
    /// Measure the service: `casedesk bench` (the same as `bench api`) or `bench stats`.
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
                if let Err(e) = demo(&settings, true) {
                    eprintln!("casedesk: {e}");
                    return ExitCode::FAILURE;
                }
            }
            serve(settings)
        }
        Command::Migrate => migrate(&settings),
        Command::User(UserCommand::Add(args)) => add_user(&settings, args),
        Command::Report(args) => print_report(&settings, args),
        Command::Demo => demo(&settings, false),
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
    let username = crate::api::parse_username(&mut errors, &args.username);
    let role = Role::parse(&args.role);
    if role.is_none() {
        errors.add("role", "must be one of admin, clerk, handler, leader");
    }
    if !errors.is_empty() {
        let messages: Vec<String> = errors.0.iter().map(|e| format!("--{} {}", e.field, e.message)).collect();
        return Err(messages.join("; "));
    }
    let (Some(username), Some(role)) = (username, role) else { unreachable!("checked above") };
    let (plain, generated) = match std::env::var("CASEDESK_NEW_USER_PASSWORD") {
        Ok(p) => (p, false),
        Err(_) => (password::generate(), true),
    };
    password::check_new("CASEDESK_NEW_USER_PASSWORD", &plain).map_err(|e| e.0[0].message.clone())?;
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
                        AppError::invalid_field("department", format!("no department with code {code}"))
                    })?
                    .id,
            ),
            None if role == Role::Handler => {
                return Err(AppError::invalid_field("department", "a handler needs --department"))
            }
            None => None,
        };
        let now = time::now_utc();
        accounts::create(
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
            errors.0.iter().map(|e| format!("--{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
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
        Some(path) => {
            std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).map_err(|e| e.to_string())
        }
    }
}

/// Loads the demo county. With `only_if_empty`, a database that already has
/// data is left alone (for `serve --demo`); otherwise that is an error.
fn demo(settings: &Settings, only_if_empty: bool) -> Result<(), String> {
    let db = Db::connect(&settings.database_url, 2)?;
    crate::app::bootstrap_admin(&db, settings.admin_password.as_deref()).map_err(|e| e.to_string())?;
    if only_if_empty && !db.write_blocking(crate::demo::is_empty).map_err(|e| e.to_string())? {
        return Ok(());
    }
    eprintln!("Loading the demo county (2023 and 2024) into {} ...", settings.database_url);
    let started = std::time::Instant::now();
    let summary = crate::demo::load(&db).map_err(|e| e.to_string())?;
    println!("Loaded {} cases in {:.0?}.", summary.cases, started.elapsed());
    println!("Log in (POST /api/v1/auth/login) with:");
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
    println!("Then: casedesk report --year 2024");
    Ok(())
}
