//! The numpy reference loader (python/sslth_ticket.py), written from
//! docs/FORMAT.md, runs targets, full tickets and compact tickets (its own
//! ChaCha8 regenerates the weights) and agrees with sslth's forward pass
//! and with `sslth predict` to 1e-5. The test makes its own venv with
//! numpy and safetensors (from PyPI) under Cargo's target folder.

use std::path::{Path, PathBuf};
use std::process::Command;

fn venv_python() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-venv");
    let python = dir.join("bin/python");
    let ready = dir.join(".ready");
    if !ready.exists() {
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&dir).status().expect("python3 is installed");
        assert!(ok.success(), "python3 -m venv failed");
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "numpy", "safetensors"])
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install numpy safetensors failed");
        std::fs::write(&ready, b"").unwrap();
    }
    python
}

fn write_npy(path: &Path, data: &[f32], rows: usize, cols: usize) {
    let m = sslth::npy::Matrix { rows, cols, data: data.to_vec() };
    std::fs::write(path, sslth::npy::to_bytes(&m)).unwrap();
}

fn read_npy(path: &Path) -> Vec<f32> {
    sslth::npy::read(path).unwrap().data
}

fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / (1.0 + y.abs())).fold(0.0f32, f32::max)
}

#[test]
fn numpy_loader_matches_sslth() {
    let python = venv_python();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pyloader-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new(env!("CARGO_BIN_EXE_sslth"))
        .args(["demo", "--json", "--out"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let test = sslth::data::digits().test;
    let rows = 100;
    // Real test rows, and the same rows negated (exercises the N side).
    let mut inputs = test.inputs[..rows * 64].to_vec();
    inputs.extend(test.inputs[..rows * 64].iter().map(|v| -v));
    write_npy(&dir.join("x.npy"), &inputs, 2 * rows, 64);
    // The same rows as raw pixels (input / input_scale).
    let raw: Vec<f32> = inputs.iter().map(|&v| (f64::from(v) / test.scale) as f32).collect();
    write_npy(&dir.join("raw.npy"), &raw, 2 * rows, 64);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/sslth_ticket.py");
    let full = sslth::format::read(&dir.join("ticket.safetensors")).unwrap();
    let mlp = sslth::model::Mlp::load(&dir.join("target.safetensors")).unwrap();
    for (model, ours) in [
        ("ticket.safetensors", full.net.forward_batch(&inputs, 2 * rows)),
        ("ticket.compact.safetensors", full.net.forward_batch(&inputs, 2 * rows)),
        ("target.safetensors", mlp.forward_batch(&inputs, 2 * rows)),
    ] {
        let m = dir.join(model);
        for (x, flag) in [("x.npy", Some("--scaled")), ("raw.npy", None)] {
            let y_py = dir.join(format!("py-{model}-{x}"));
            let y_cli = dir.join(format!("cli-{model}-{x}"));
            let mut py = Command::new(&python);
            py.arg(&script).arg(&m).arg(dir.join(x)).arg(&y_py).args(flag);
            assert!(py.status().unwrap().success(), "the reference loader failed on {model}");
            let mut cli = Command::new(env!("CARGO_BIN_EXE_sslth"));
            cli.args(["predict", "--model"]).arg(&m).arg("--input").arg(dir.join(x)).arg("-o").arg(&y_cli).args(flag);
            let o = cli.output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let (theirs, cli_out) = (read_npy(&y_py), read_npy(&y_cli));
            assert!(worst(&theirs, &ours) < 1e-5, "{model} {x}: numpy and sslth differ by {}", worst(&theirs, &ours));
            assert!(worst(&cli_out, &ours) < 1e-5, "{model} {x}: predict and sslth differ");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
