//! The `tugboat` binary: no arguments (or `gui`) opens the desktop app; subcommands run headless.

use std::process::ExitCode;

use clap::Parser;
use tugboat::cli::{Cli, Command, run};

/// mimalloc: the load path allocates and frees a string per value on several threads; glibc's
/// allocator spent a third of Tugboat's CPU on it (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    match cli.command {
        None | Some(Command::Gui { .. }) => {
            let project = match cli.command {
                Some(Command::Gui { project }) => project,
                _ => None,
            };
            let buffer = tugboat::logging::LogBuffer::default();
            tugboat::logging::init(
                if cli.verbose == 0 { "info" } else { level },
                Some(buffer.clone()),
            );
            tugboat::gui::run(project, buffer)
        }
        Some(command) => {
            tugboat::logging::init(level, None);
            run(command)
        }
    }
}
