//! The screens of the main window, one module each.

pub mod conversion;
pub mod endpoints;
pub mod logs;
pub mod mappings;
pub mod monitor;
pub mod schema_browser;
pub mod tasks;

/// The navigation entries, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Endpoints,
    Conversion,
    Tasks,
    Monitor,
    Logs,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Endpoints,
        Screen::Conversion,
        Screen::Tasks,
        Screen::Monitor,
        Screen::Logs,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Screen::Endpoints => "Endpoints",
            Screen::Conversion => "Schema conversion",
            Screen::Tasks => "Tasks",
            Screen::Monitor => "Monitor",
            Screen::Logs => "Logs",
        }
    }
}
