//! The `casedesk` command; everything lives in the library.

fn main() -> std::process::ExitCode {
    casedesk::cli::run()
}
