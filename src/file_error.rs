//! The error of a text file that people edit and the program reads line
//! by line (the synonyms file, the judged queries): it could not be read,
//! or one of its lines is wrong, said with the file and the line.
//!
//! Owns only the error's shape; must not read files itself.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
}
