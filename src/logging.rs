//! Logging: `tracing` set-up for the CLI and the GUI, and the in-memory log the GUI's Logs screen
//! reads. Messages never contain passwords: endpoints are always printed through their masked URL.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;
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
    /// The task the event happened in (its `task` span), if any.
    pub task: Option<String>,
    /// The table the event is about (its `table` span), if any.
    pub table: Option<String>,
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

    /// The tasks entries were logged in, sorted, each once.
    pub fn tasks(&self) -> Vec<String> {
        let q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let set: std::collections::BTreeSet<&str> =
            q.iter().filter_map(|e| e.task.as_deref()).collect();
        set.into_iter().map(str::to_string).collect()
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
        } else if field.name().starts_with("log.") {
            // A library's `log` record: its file, line and module are the build machine's.
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        } else if field.name().starts_with("log.") {
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

/// The `task` or `table` field of a span, kept in the span's extensions.
struct Scope {
    task: Option<String>,
    table: Option<String>,
}

impl Visit for Scope {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "task" => self.task = Some(value.to_string()),
            "table" => self.table = Some(value.to_string()),
            _ => {}
        }
    }
}

/// What the app's log keeps: Tugboat's own events from debug up, errors of the windowing
/// libraries, warnings of every other library.
fn keeps(m: &tracing::Metadata<'_>) -> bool {
    let t = m.target();
    let min = if t.starts_with("tugboat") {
        Level::DEBUG
    } else if ["winit", "eframe", "egui_glow", "zbus"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        Level::ERROR
    } else {
        Level::WARN
    };
    *m.level() <= min
}

impl<S> Layer<S> for MemoryLayer
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut scope = Scope {
            task: None,
            table: None,
        };
        attrs.record(&mut scope);
        if (scope.task.is_some() || scope.table.is_some())
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(scope);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !keeps(event.metadata()) {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let (mut task, mut table) = (None, None);
        if let Some(spans) = ctx.event_scope(event) {
            for span in spans {
                if let Some(s) = span.extensions().get::<Scope>() {
                    task = task.or_else(|| s.task.clone());
                    table = table.or_else(|| s.table.clone());
                }
            }
        }
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        self.buffer.push(LogEntry {
            time,
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            message: v.0,
            task,
            table,
        });
    }
}

/// Installs the global subscriber. Calling it twice is harmless.
///
/// Without a buffer (the CLI): stderr shows what `TUGBOAT_LOG` selects, by default
/// `default_level` for Tugboat and warnings for libraries. With a buffer (the app): the buffer
/// keeps what [`keeps`] says (Tugboat from debug up) and stderr still shows `default_level`.
///
/// One global filter, no per-layer filters: with two per-layer filters, events of one layer
/// were lost under load (a task's info lines stopped reaching the app's log partway through a
/// load while stderr had them). Each layer narrows what it is given itself.
pub fn init(default_level: &str, buffer: Option<LogBuffer>) {
    let from_env = EnvFilter::try_from_env("TUGBOAT_LOG").ok();
    let explicit = from_env.is_some();
    let global = from_env.unwrap_or_else(|| {
        EnvFilter::new(if buffer.is_some() {
            "warn,sqlx=error,winit=error,eframe=error,egui_glow=error,zbus=error,tugboat=debug"
                .to_string()
        } else {
            format!("warn,sqlx=error,tugboat={default_level}")
        })
    });
    let stderr_level: Level = default_level.parse().unwrap_or(Level::INFO);
    let narrow = buffer.is_some() && !explicit;
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(
            std::io::stderr.with_filter(move |m: &tracing::Metadata<'_>| {
                !narrow || !m.target().starts_with("tugboat") || *m.level() <= stderr_level
            }),
        )
        .with_target(true);
    let memory = buffer.map(MemoryLayer::new);
    if tracing_subscriber::registry()
        .with(global)
        .with(stderr)
        .with(memory)
        .try_init()
        .is_err()
    {
        // Set up already in this process (tests start the app more than once): the first
        // set-up stays.
        tracing::debug!(target: "tugboat", "logging was set up already");
    }
}
