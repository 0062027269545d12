//! The `casedesk` command; everything lives in the library.

// glibc's allocator spent a third of the CPU time under load in lock
// contention and consolidation across worker and blocking threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    casedesk::cli::run()
}
