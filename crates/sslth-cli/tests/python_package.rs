//! The Python package (python/sslth over crates/sslth-py) built with
//! maturin into a venv of its own under Cargo's target folder, and its
//! pytest suite (python/tests) run against this build's `sslth` binary:
//! batches and ticket files equal to the CLI's, bad input, a deliberate
//! panic, thread counts, the PyTorch export (torch tests skip unless
//! torch is installed; bench/torch_round_trip.sh installs it); and the
//! type stubs checked against the runtime by mypy's stubtest, which must
//! also refuse a stub that drifted.
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
    let python = common::venv(
        "py-package",
        &["maturin>=1.16,<2", "numpy", "pytest", "safetensors", "distributed", "mypy", "pandas", "highspy"],
    );
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
    stubs_match_the_runtime(&python, &root);
}

/// mypy's stubtest: the stubs (python/sslth/*.pyi) agree with the
/// runtime, and a copy whose `popup` stub gives another default is refused.
fn stubs_match_the_runtime(python: &Path, root: &Path) {
    let stubtest = |stubs: &Path| {
        Command::new(python)
            .args(["-m", "mypy.stubtest", "--mypy-config-file"])
            .arg(root.join("pyproject.toml"))
            .arg("sslth")
            .env("MYPYPATH", stubs)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("stubtest runs")
    };
    let out = stubtest(&root.join("python"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stubs disagree with the runtime:\n{text}");
    let drifted = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stub-drift");
    let pkg = drifted.join("sslth");
    let _ = std::fs::remove_dir_all(&drifted);
    std::fs::create_dir_all(&pkg).unwrap();
    for entry in std::fs::read_dir(root.join("python/sslth")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pyi" || e == "py") || path.ends_with("py.typed") {
            std::fs::copy(&path, pkg.join(path.file_name().unwrap())).unwrap();
        }
    }
    let stub = pkg.join("__init__.pyi");
    let text = std::fs::read_to_string(&stub).unwrap();
    assert!(text.contains("weight_decay: float = 0.0005"), "the popup stub changed; update this test");
    std::fs::write(&stub, text.replace("weight_decay: float = 0.0005", "weight_decay: float = 0.001")).unwrap();
    let out = stubtest(&drifted);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("weight_decay"), "stubtest missed a drifted default:\n{text}");
}
