//! The library's one error type: what went wrong, as a variant each face
//! maps to its own terms (the CLI to an exit code and its flag names,
//! Python to an exception class), and one line of text.
//!
//! Messages name parameters as the library spells them, between
//! backticks (`` `weight_eps` ``). [`Error::render`] writes them for a
//! face: as `weight_eps` for Python and the library (`Display`), as the
//! flag `--weight-eps` for the CLI. The text is written once, here in the
//! library, for both.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a call of the library failed; every message is one line.
#[derive(Debug)]
pub enum Error {
    /// A file or folder that could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// Whether it was being written (else read).
        writing: bool,
        /// What the system said.
        source: std::io::Error,
    },
    /// A parameter out of its range, or parameters that do not go
    /// together (the message says which, each named between backticks).
    Argument(String),
    /// A file, data set or network whose contents are not what they
    /// should be.
    Invalid(String),
    /// A network with a layer or a structure tickets are not built of.
    Unsupported(String),
    /// A build that met its tolerance nowhere near enough, refused before
    /// anything was written.
    Refused {
        /// RFSS instances that missed their tolerance (0 when the
        /// certified error exceeded the network tolerance).
        misses: u64,
        /// The worst error: as a multiple of its weight tolerance when
        /// instances missed, else the certified error.
        worst: f64,
        /// The one-line message, with what to change.
        message: String,
    },
    /// Stopped by the user (Ctrl-C) before it finished.
    Interrupted,
}

/// The spelling a message's parameter names take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    /// As the library and Python name them: `weight_eps`.
    Library,
    /// As the CLI's flags: `--weight-eps`.
    Cli,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on reading `path`.
    pub fn read(path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), writing: false, source }
    }

    /// An I/O error on writing `path`.
    pub fn write(path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), writing: true, source }
    }

    /// The message with its parameter names spelt for `face`.
    pub fn render(&self, face: Face) -> String {
        let text = match self {
            Error::Io { path, writing, source } => {
                format!("cannot {} {}: {source}", if *writing { "write" } else { "read" }, path.display())
            }
            Error::Argument(m) | Error::Invalid(m) | Error::Unsupported(m) | Error::Refused { message: m, .. } => {
                m.clone()
            }
            Error::Interrupted => "interrupted".into(),
        };
        spell(&text, face)
    }
}

/// `text` with each `` `name` `` spelt for `face` (see the module docs).
pub fn spell(text: &str, face: Face) -> String {
    let pieces: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, piece) in pieces.iter().enumerate() {
        // Odd pieces with a closing backtick after them were quoted.
        let quoted = i % 2 == 1 && i + 1 < pieces.len();
        match (quoted, face) {
            (false, _) if i % 2 == 1 => {
                out.push('`');
                out.push_str(piece);
            }
            (false, _) => out.push_str(piece),
            (true, Face::Library) if is_name(piece) => out.push_str(piece),
            (true, Face::Cli) if is_name(piece) => {
                out.push_str("--");
                out.push_str(&piece.replace('_', "-"));
            }
            (true, _) => {
                out.push('`');
                out.push_str(piece);
                out.push('`');
            }
        }
    }
    out
}

/// Whether `s` reads as a parameter name (lower case, digits, `_`).
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Face::Library))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_spelt_for_each_face_and_other_quotes_kept() {
        let e = Error::Argument("`weight_eps` must be > 0 (see `k`); a `2×2` kernel".into());
        assert_eq!(e.render(Face::Cli), "--weight-eps must be > 0 (see --k); a `2×2` kernel");
        assert_eq!(e.to_string(), "weight_eps must be > 0 (see k); a `2×2` kernel");
        assert_eq!(spell("no names", Face::Cli), "no names");
        assert_eq!(spell("an odd ` quote", Face::Cli), "an odd ` quote");
    }
}
