//! The Python package (python/sslth over crates/sslth-py) built with
//! maturin into a venv of its own under Cargo's target folder, and its
//! pytest suite (python/tests) run against this build's `sslth` binary:
//! batches and ticket files equal to the CLI's, bad input, a deliberate
//! panic, thread counts, the PyTorch export (torch tests skip unless
//! torch is installed; bench/torch_round_trip.sh installs it).
//!
//! maturin builds in Cargo's target folder, reusing this build's compiled
//! crates: Cargo holds that folder's lock while it compiles, not while it
//! runs the tests.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn python_package_passes_its_pytest_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = common::venv("py-package", &["maturin>=1.16,<2", "numpy", "pytest", "safetensors", "distributed"]);
    let venv = python.parent().and_then(Path::parent).expect("venv/bin/python");
    let ok = Command::new(venv.join("bin/maturin"))
        .args(["develop", "--release", "--quiet"])
        .current_dir(&root)
        .env("VIRTUAL_ENV", venv)
        .status()
        .expect("maturin runs");
    assert!(ok.success(), "maturin develop failed");
    let out = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root.join("python/tests"))
        .env("SSLTH_BIN", env!("CARGO_BIN_EXE_sslth"))
        .output()
        .expect("pytest runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "pytest failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary = text.lines().last().unwrap_or_default();
    println!("pytest: {summary}");
    assert!(summary.contains("passed"), "{summary}");
}
