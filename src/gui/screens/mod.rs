//! The screens of the main window, one module each.

pub mod conversion;
pub mod endpoint_form;
pub mod endpoints;
pub mod logs;
pub mod mappings;
pub mod monitor;
pub mod overview;
pub mod schema_browser;
pub mod tasks;

/// The navigation entries, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Overview,
    Endpoints,
    Conversion,
    Tasks,
    Monitor,
    Logs,
}

impl Screen {
    pub const ALL: [Screen; 6] = [
        Screen::Overview,
        Screen::Endpoints,
        Screen::Conversion,
        Screen::Tasks,
        Screen::Monitor,
        Screen::Logs,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Endpoints => "Endpoints",
            Screen::Conversion => "Schema conversion",
            Screen::Tasks => "Tasks",
            Screen::Monitor => "Monitor",
            Screen::Logs => "Logs",
        }
    }
}
