//! The numpy reference loader (python/sslth_ticket.py) runs a full ticket
//! and agrees with sslth's own forward pass to 1e-5. The test makes its own
//! venv with numpy and safetensors (from PyPI) under Cargo's target folder.

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

/// A float32 .npy file of shape [rows, cols].
fn write_npy(path: &Path, data: &[f32], rows: usize, cols: usize) {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(data.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, out).unwrap();
}

/// The data of a little-endian float32 .npy file.
fn read_npy(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    assert!(header.contains("'<f4'"), "{header}");
    bytes[10 + hlen..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
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
    let ticket = dir.join("ticket.safetensors");
    let t = sslth::format::read(&ticket).unwrap();
    let test = sslth::data::digits().test;
    let rows = 100;
    // Real test rows, and the same rows negated (exercises the N side).
    let mut inputs = test.inputs[..rows * 64].to_vec();
    inputs.extend(test.inputs[..rows * 64].iter().map(|v| -v));
    write_npy(&dir.join("x.npy"), &inputs, 2 * rows, 64);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/sslth_ticket.py");
    let status =
        Command::new(&python).arg(&script).arg(&ticket).arg(dir.join("x.npy")).arg(dir.join("y.npy")).status().unwrap();
    assert!(status.success(), "the reference loader failed");
    let theirs = read_npy(&dir.join("y.npy"));
    let ours = t.net.forward_batch(&inputs, 2 * rows);
    assert_eq!(theirs.len(), ours.len());
    let worst = theirs.iter().zip(&ours).map(|(a, b)| (a - b).abs() / (1.0 + b.abs())).fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "numpy and sslth differ by {worst}");
    std::fs::remove_dir_all(&dir).unwrap();
}
