//! Helpers shared by the integration tests that run Python.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A venv `name` under Cargo's target folder with `packages` from PyPI,
/// made once (a `.ready` file lists what was installed; a different list
/// installs again); returns its python.
pub fn venv(name: &str, packages: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = dir.join("bin/python");
    let ready = dir.join(".ready");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        if !python.exists() {
            let ok = Command::new("python3").args(["-m", "venv"]).arg(&dir).status().expect("python3 is installed");
            assert!(ok.success(), "python3 -m venv failed");
        }
        let ok = Command::new(&python).args(["-m", "pip", "install", "-q"]).args(packages).status().expect("pip runs");
        assert!(ok.success(), "pip install {packages:?} failed");
        std::fs::write(&ready, wanted).unwrap();
    }
    python
}
