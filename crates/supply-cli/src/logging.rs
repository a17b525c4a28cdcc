//! Log output: `tracing` events to standard error, warnings by default, `-v` info, `-vv`
//! debug, `-vvv` trace for supply's own crates (other crates stay at info: their trace output
//! could hold request headers), `-q` errors only; `RUST_LOG` overrides all of it. Colour only
//! on a terminal and never with `NO_COLOR`. The library logs no secret at any level (the
//! `secrets_never_reach_the_logs` test greps maximum verbosity for them).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Progress of long work as one rewritten line, only on an interactive terminal outside CI
/// (never in logs, pipes or JSON), and not with `-q`.
fn progress(quiet: bool) {
    let ci = ["CI", "GITHUB_ACTIONS", "GITLAB_CI"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    if quiet || ci || !std::io::stderr().is_terminal() {
        return;
    }
    supply_core::progress::set_reporter(|step| {
        use std::io::Write as _;
        let mut stderr = std::io::stderr().lock();
        let item: String = step.item.chars().take(60).collect();
        let _ = write!(
            stderr,
            "\r\x1b[2K[{}/{}] {} {}",
            step.done,
            step.total,
            step.action,
            supply_core::text::printable(&item)
        );
        if step.done == step.total {
            let _ = write!(stderr, "\r\x1b[2K");
        }
        let _ = stderr.flush();
    });
}

pub(crate) fn init(verbose: u8, quiet: bool) {
    progress(quiet);
    let directives = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,supply=info,supply_core=info",
        (false, 2) => "warn,supply=debug,supply_core=debug",
        (false, _) => "info,supply=trace,supply_core=trace",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(directives));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .try_init();
}
