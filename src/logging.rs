//! Logging: `tracing` set-up for the CLI and the GUI, and the in-memory log the GUI's Logs screen
//! reads. Messages never contain passwords: endpoints are always printed through their masked URL.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Entries kept in memory; older ones are dropped.
const CAPACITY: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub level: Level,
    /// The component: the event's target, e.g. `tugboat::discovery`.
    pub target: String,
    pub message: String,
}

/// A shared ring buffer of log entries, filled by [`MemoryLayer`].
#[derive(Clone, Default)]
pub struct LogBuffer {
    inner: Arc<Mutex<VecDeque<LogEntry>>>,
}

impl LogBuffer {
    pub fn push(&self, entry: LogEntry) {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == CAPACITY {
            q.pop_front();
        }
        q.push_back(entry);
    }
    /// A copy of the entries (oldest first).
    pub fn snapshot(&self) -> Vec<LogEntry> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
    /// A copy of the entries `keep` accepts (oldest first).
    pub fn matching(&self, keep: impl Fn(&LogEntry) -> bool) -> Vec<LogEntry> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|e| keep(e))
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// A `tracing` layer that appends every event to a [`LogBuffer`].
pub struct MemoryLayer {
    buffer: LogBuffer,
}

impl MemoryLayer {
    pub fn new(buffer: LogBuffer) -> Self {
        MemoryLayer { buffer }
    }
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

impl<S: Subscriber> Layer<S> for MemoryLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        self.buffer.push(LogEntry {
            time,
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            message: v.0,
        });
    }
}

/// Installs the global subscriber: stderr output filtered by `TUGBOAT_LOG` (default `default_level`
/// for Tugboat, warnings for libraries), plus the in-memory buffer (info and above) when given.
/// Calling it twice is harmless.
pub fn init(default_level: &str, buffer: Option<LogBuffer>) {
    let filter = EnvFilter::try_from_env("TUGBOAT_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,sqlx=error,tugboat={default_level}")));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_filter(filter);
    let memory = buffer.map(|b| {
        MemoryLayer::new(b).with_filter(EnvFilter::new(
            "warn,winit=error,eframe=error,egui_glow=error,zbus=error,tugboat=debug",
        ))
    });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(memory)
        .try_init();
}
