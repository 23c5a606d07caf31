//! `altegon-meet`: the server (`serve`, the default) and its operator tools.

use std::process::ExitCode;

use altegon_api::cli::{self, Cli};
use altegon_api::config::Config;
use clap::Parser;

/// mimalloc rather than the system allocator: a request allocates and frees many
/// small buffers across worker threads, where glibc's malloc spent about a sixth
/// of the server's CPU time under load (`docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    altegon_api::install_crypto_provider();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    altegon_api::telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
