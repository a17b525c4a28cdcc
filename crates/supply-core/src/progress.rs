//! Progress of long work (lockfiles read, manifests signed), reported to whoever asked: the
//! library only calls [`step`]; nothing is shown unless a program installed a reporter. The
//! CLI installs one only on an interactive terminal, never in CI logs or machine output.

use std::sync::OnceLock;

/// One step of some work.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    /// What is being done (`reading`, `signing`).
    pub action: &'a str,
    /// The item (a lockfile, a digest).
    pub item: &'a str,
    /// This step's number, from 1.
    pub done: usize,
    /// How many there are.
    pub total: usize,
}

type Reporter = Box<dyn Fn(Step<'_>) + Send + Sync>;

static REPORTER: OnceLock<Reporter> = OnceLock::new();

/// Installs the process's reporter (the first one wins).
pub fn set_reporter(reporter: impl Fn(Step<'_>) + Send + Sync + 'static) {
    let _ = REPORTER.set(Box::new(reporter));
}

/// Reports a step, when a reporter is installed.
pub fn step(action: &str, item: &str, done: usize, total: usize) {
    if let Some(reporter) = REPORTER.get() {
        reporter(Step {
            action,
            item,
            done,
            total,
        });
    }
}
