//! The loop's settings, fixed when it is built (`Builder` in `runtime.rs` fills them in).

use std::panic::Location;
use std::sync::OnceLock;
use std::time::Duration;

use crate::rt::hooks::Listener;

/// Loop settings, fixed when the loop is built.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) debug: bool,
    pub(crate) slow_poll_threshold: Duration,
    pub(crate) event_interval: u32,
    pub(crate) io_interval: u32,
    /// How long the loop spins before it blocks for I/O after a wait that woke several tasks
    /// (zero: it blocks at once).
    pub(crate) busy_poll: Duration,
    /// `Builder::seed`: a deterministic schedule on virtual time.
    pub(crate) seed: Option<u64>,
    /// `Builder::start_paused`: the clock starts paused.
    pub(crate) start_paused: bool,
    /// Where `run` was called: the main future's "spawn location" in task dumps.
    pub(crate) main_at: &'static Location<'static>,
    /// Who hears the core's diagnostics events; `None`: nobody (the core alone stays silent).
    pub(crate) listener: Option<Listener>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            debug: env_debug(),
            slow_poll_threshold: Duration::from_millis(100),
            event_interval: 61,
            io_interval: 4,
            busy_poll: Duration::ZERO,
            seed: None,
            start_paused: false,
            main_at: Location::caller(),
            listener: None,
        }
    }
}

/// Whether `CORIO_DEBUG=1` (read once): the default of [`Config::debug`].
pub(crate) fn env_debug() -> bool {
    static ENV: OnceLock<bool> = OnceLock::new();
    *ENV.get_or_init(|| std::env::var_os("CORIO_DEBUG").is_some_and(|v| v == "1"))
}
