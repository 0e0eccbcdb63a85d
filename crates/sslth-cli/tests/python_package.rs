//! The Python package (python/sslth over crates/sslth-py) built with
//! maturin into a venv of its own under Cargo's target folder, and its
//! pytest suite (python/tests) run against this build's `sslth` binary:
//! batches and ticket files equal to the CLI's, bad input, a deliberate
//! panic, thread counts, the PyTorch export (torch tests skip unless
//! torch is installed; bench/torch_round_trip.sh installs it).
//!
//! maturin builds in a target folder of its own (`py-build`), so it never
//! waits on the lock of the build that runs this test.

use std::path::Path;
use std::process::Command;

#[test]
fn python_package_passes_its_pytest_suite() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = tmp.join("py-package");
    let python = venv.join("bin/python");
    let ready = venv.join(".ready");
    if !ready.exists() {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().expect("python3 is installed");
        assert!(ok.success(), "python3 -m venv failed");
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "maturin>=1.16,<2", "numpy", "pytest", "safetensors"])
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install maturin numpy pytest safetensors failed");
        std::fs::write(&ready, b"").unwrap();
    }
    let ok = Command::new(venv.join("bin/maturin"))
        .args(["develop", "--release", "--quiet"])
        .current_dir(&root)
        .env("VIRTUAL_ENV", &venv)
        .env("CARGO_TARGET_DIR", tmp.join("py-build"))
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
