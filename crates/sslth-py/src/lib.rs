//! `sslth._sslth`: the Python face of the `sslth` and `rfss` crates.
//!
//! A thin PyO3 layer: it converts numpy arrays and Python values to the
//! library's types and back, releases the GIL around Rust work, and maps
//! the library's one-line errors to Python exceptions (`ValueError` for
//! bad input, `OSError` for files that cannot be read or written). It
//! holds no logic the CLI lacks. Each function's signature and docstring
//! are written here once; the Python package `sslth` (python/sslth)
//! re-exports them beside its type stubs, which CI checks against them
//! (mypy's stubtest).

mod experiments;
mod nets;
mod rfss_py;
mod shards;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

/// A library result (a report, rows) as Python objects: structs become
/// dicts, sequences lists, floats floats (NaN kept), absent values `None`;
/// no JSON text in between.
pub(crate) fn to_py<'py>(py: Python<'py>, v: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(|e| value_error(format!("cannot convert a result: {e}")))
}

/// A library error (one line) as `ValueError`.
pub(crate) fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

pyo3::create_exception!(
    _sslth,
    BuildRefused,
    PyValueError,
    "A build that missed its tolerance: nothing was written. `misses` counts the RFSS instances that missed \
     (0 when the certified error exceeded eps), `worst` is the worst error (a multiple of the weight tolerance, \
     or the certified error)."
);
pyo3::create_exception!(
    _sslth,
    UnsupportedLayer,
    PyValueError,
    "A network with a layer or a structure tickets are not built of."
);

/// A library error as the Python exception of its kind: `FileNotFoundError`,
/// `PermissionError` or `OSError` for files that cannot be read or
/// written, `BuildRefused` (with `misses` and `worst`) for a refused
/// build, `UnsupportedLayer` for a network tickets are not built of,
/// `KeyboardInterrupt` for an interrupted call, `ValueError` for the rest;
/// the message is the CLI's with parameters named as Python names them.
pub(crate) fn lib_error(e: impl Into<sslth::Error>) -> PyErr {
    use pyo3::exceptions::{PyFileNotFoundError, PyKeyboardInterrupt, PyPermissionError};
    use sslth::Error;
    let e = e.into();
    let message = e.to_string();
    match e {
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        Error::Refused { misses, worst, .. } => Python::attach(|py| {
            let err = BuildRefused::new_err(message);
            let value = err.value(py);
            // Setting attributes on a fresh exception cannot fail.
            let _ = value.setattr("misses", misses);
            let _ = value.setattr("worst", worst);
            err
        }),
        Error::Unsupported(_) => UnsupportedLayer::new_err(message),
        Error::Interrupted => PyKeyboardInterrupt::new_err(message),
        Error::Argument(_) | Error::Invalid(_) => PyValueError::new_err(message),
    }
}

/// Runs `work` on a thread of its own with the GIL released, while this
/// thread checks for Ctrl-C every 50 ms; on one, the flag `work` is given
/// turns false (the library's builds stop at their next row) and, once
/// `work` has returned, the `KeyboardInterrupt` is raised.
pub(crate) fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&std::sync::atomic::AtomicBool) -> T + Send,
) -> PyResult<T> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let go_on = AtomicBool::new(true);
    std::thread::scope(|s| {
        let handle = s.spawn(|| work(&go_on));
        let mut interrupted = None;
        while !handle.is_finished() {
            if interrupted.is_none() {
                if let Err(e) = py.check_signals() {
                    go_on.store(false, Ordering::Relaxed);
                    interrupted = Some(e);
                }
            }
            py.detach(|| std::thread::sleep(std::time::Duration::from_millis(50)));
        }
        let out = handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        interrupted.map_or(Ok(out), Err)
    })
}

/// Panics on purpose, so that tests can check that a panic in Rust becomes
/// a Python exception and the interpreter survives.
#[pyfunction]
fn _panic_for_tests() {
    panic!("deliberate panic for tests");
}

#[pymodule]
fn _sslth(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("BuildRefused", m.py().get_type::<BuildRefused>())?;
    m.add("UnsupportedLayer", m.py().get_type::<UnsupportedLayer>())?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    rfss_py::register(m)?;
    nets::register(m)?;
    experiments::register(m)?;
    shards::register(m)?;
    Ok(())
}
