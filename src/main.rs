//! The `kuke-id` binary: parse the command line, run it, map failures to exit codes.

use clap::Parser;

fn main() {
    limit_allocator_arenas();
    let cli = kuke_id::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kuke-id: cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(kuke_id::cli::run(cli)) {
        eprintln!("kuke-id: {error}");
        std::process::exit(error.exit_code());
    }
}

/// glibc gives threads that allocate at the same time arenas of their own (up
/// to eight per core), and an arena keeps the memory it once held: after a
/// load, the 100 000-row import peaked at 108 MiB instead of 54. Two arenas
/// serve a process whose work runs on a few threads. `MALLOC_ARENA_MAX`, when
/// set, still decides.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_allocator_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a parameter of the allocator; it runs before
        // any other thread of this process exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_allocator_arenas() {}
