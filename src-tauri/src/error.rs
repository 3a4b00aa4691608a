//! The one error type the front end sees: `{code, message, remedy}`,
//! with a message a person can act on and, when the engine knows one, the
//! action that helps (its label fits a button).

use serde::Serialize;

/// An error as the UI shows it.
#[derive(Debug, Serialize)]
pub struct AppError {
    /// Stable code (the engine's `Error::code`).
    pub code: String,
    /// What happened and what to do.
    pub message: String,
    /// The engine's remedy, when it knows one (`{kind, ...}`).
    pub remedy: Option<tufa::Remedy>,
    /// The remedy in words, for a button or a line under the message.
    pub remedy_label: Option<String>,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AppError {
            code: code.into(),
            message: message.into(),
            remedy: None,
            remedy_label: None,
        }
    }

    /// Attaches the engine's remedy (and its label).
    fn with_remedy(mut self, remedy: Option<tufa::Remedy>) -> Self {
        self.remedy_label = remedy.as_ref().map(tufa::Remedy::label);
        self.remedy = remedy;
        self
    }
}

impl From<tufa::Error> for AppError {
    fn from(e: tufa::Error) -> Self {
        // Every engine failure the UI shows is in the log file too.
        tracing::warn!(code = e.code(), "{e}");
        AppError::new(e.code(), e.to_string()).with_remedy(e.remedy())
    }
}

impl From<tufa::client::UpdateError> for AppError {
    fn from(e: tufa::client::UpdateError) -> Self {
        tracing::warn!(code = e.code(), "{e}");
        AppError::new(e.code(), e.to_string()).with_remedy(e.remedy())
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        AppError::new("app", e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
