//! The one error type the front end sees: `{code, message}`, with a
//! message a person can act on.

use serde::Serialize;

/// An error as the UI shows it.
#[derive(Debug, Serialize)]
pub struct AppError {
    /// Stable code (the engine's `Error::code`).
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AppError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<tufa::Error> for AppError {
    fn from(e: tufa::Error) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<tufa::client::UpdateError> for AppError {
    fn from(e: tufa::client::UpdateError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        AppError::new("app", e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
