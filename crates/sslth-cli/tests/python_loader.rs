//! The numpy reference loader (python/sslth_ticket.py), written from
//! docs/FORMAT.md, runs targets, full tickets and compact tickets (its own
//! ChaCha8 regenerates the weights) and agrees with sslth's forward pass
//! and with `sslth predict` to 1e-5 of the logits' scale, for dense, CNN
//! and DeepSets models and for targets of general layers (recorded
//! architectures) and their version-4 tickets. The test makes its own venv with
//! numpy and safetensors (from PyPI) under Cargo's target folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's python, made once per test binary: the tests run in
/// parallel, and two creating the same venv at once break it.
fn venv_python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| common::venv("py-venv", &["numpy", "safetensors"])).clone()
}

fn write_npy(path: &Path, data: &[f32], rows: usize, cols: usize) {
    let m = sslth::files::npy::Matrix { rows, cols, data: data.to_vec(), inner: vec![cols] };
    std::fs::write(path, sslth::files::npy::to_bytes(&m)).unwrap();
}

fn read_npy(path: &Path) -> Vec<f32> {
    sslth::files::npy::read(path).unwrap().data
}

/// The largest |a − b| relative to 1 + the largest |b|: float32 sums of
/// terms of the logits' size differ by rounding at that scale (a CNN
/// ticket's logits reach 150, and a logit near 0 may differ by 1e-4 when
/// summed in another order).
fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = 1.0 + b.iter().fold(0.0f32, |m, y| m.max(y.abs()));
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / scale).fold(0.0f32, f32::max)
}

/// The venv's python, the loader script and an empty folder `name` of
/// this test run.
fn scratch(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/sslth_ticket.py");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pyloader-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    (venv_python(), script, dir)
}

/// The largest gap ([`worst`]) between `ours` and the numpy loader's
/// logits for `file` on the scaled inputs of `dir/x.npy`.
fn numpy_gap((python, script): (&Path, &Path), file: &str, dir: &Path, ours: &[f32]) -> f32 {
    let y = dir.join("py.npy");
    let status = Command::new(python).arg(script).arg(file).arg(dir.join("x.npy")).arg(&y).arg("--scaled").status();
    assert!(status.unwrap().success(), "the reference loader failed on {file}");
    worst(&read_npy(&y), ours)
}

/// Runs sslth with `args`, which must succeed; its standard output.
fn run(args: &[&str]) -> Vec<u8> {
    let o = Command::new(env!("CARGO_BIN_EXE_sslth")).args(args).output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

#[test]
fn numpy_loader_matches_sslth() {
    let python = venv_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/sslth_ticket.py");
    // Dense, convolutional (version-2 ticket, circular shifts via np.roll)
    // and DeepSets (version 2, set means) demos.
    for (model, test) in [
        ("mlp", sslth::data::digits().test),
        ("cnn", sslth::data::digits().test),
        ("deepsets", sslth::data::digit_sets().test),
    ] {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pyloader-{model}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new(env!("CARGO_BIN_EXE_sslth"))
            .args(["demo", "--json", "--model", model, "--out"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let (rows, d) = (100, test.dim);
        // Real test rows, and the same rows negated (exercises the N side).
        let mut inputs = test.inputs[..rows * d].to_vec();
        inputs.extend(test.inputs[..rows * d].iter().map(|v| -v));
        write_npy(&dir.join("x.npy"), &inputs, 2 * rows, d);
        // The same rows as raw values (input / input_scale).
        let raw: Vec<f32> = inputs.iter().map(|&v| (f64::from(v) / test.scale) as f32).collect();
        write_npy(&dir.join("raw.npy"), &raw, 2 * rows, d);
        let full = sslth::files::read_ticket(&dir.join("ticket.safetensors")).unwrap();
        let (target, _) = sslth::files::target::load(&dir.join("target.safetensors"), None).unwrap();
        let ticket_out = full.net.forward_batch(&inputs, 2 * rows);
        for (file, ours) in [
            ("ticket.safetensors", &ticket_out),
            ("ticket.compact.safetensors", &ticket_out),
            ("target.safetensors", &target.forward_batch(&inputs, 2 * rows)),
        ] {
            let m = dir.join(file);
            for (x, flag) in [("x.npy", Some("--scaled")), ("raw.npy", None)] {
                let y_py = dir.join(format!("py-{file}-{x}"));
                let y_cli = dir.join(format!("cli-{file}-{x}"));
                let mut py = Command::new(&python);
                py.arg(&script).arg(&m).arg(dir.join(x)).arg(&y_py).args(flag);
                assert!(py.status().unwrap().success(), "the reference loader failed on {model} {file}");
                let mut cli = Command::new(env!("CARGO_BIN_EXE_sslth"));
                cli.args(["predict", "--model"])
                    .arg(&m)
                    .arg("--input")
                    .arg(dir.join(x))
                    .arg("-o")
                    .arg(&y_cli)
                    .args(flag);
                let o = cli.output().unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                let (theirs, cli_out) = (read_npy(&y_py), read_npy(&y_cli));
                let gap = worst(&theirs, ours);
                assert!(gap < 1e-5, "{model} {file} {x}: numpy and sslth differ by {gap}");
                assert!(worst(&cli_out, ours) < 1e-5, "{model} {file} {x}: predict and sslth differ");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Version-3 tickets (`sslth popup`): a signed-constant chain, and the
/// construction's own random network of the demo ticket (`--like`, with
/// its constant input column), full and compact, agree with sslth.
#[test]
fn numpy_loader_runs_popup_tickets() {
    let (python, script, dir) = scratch("popup");
    let sslth = |args: &[&str]| {
        run(args);
    };
    let demo = dir.join("demo").display().to_string();
    sslth(&["demo", "--json", "--out", &demo]);
    let like = format!("{demo}/ticket.safetensors");
    let test = sslth::data::digits().test;
    let (rows, d) = (100, test.dim);
    let inputs = test.inputs[..rows * d].to_vec();
    write_npy(&dir.join("x.npy"), &inputs, rows, d);
    for (name, extra) in [
        ("signed", vec!["--arch", "64-40-10", "--weights", "signed-constant"]),
        ("like", vec!["--like", like.as_str()]),
    ] {
        for compact in [false, true] {
            let out = dir.join(format!("{name}-{compact}.safetensors")).display().to_string();
            let mut args = vec!["popup", "--epochs", "2", "--density", "0.3", "--json", "-o", out.as_str()];
            args.extend(&extra);
            if compact {
                args.push("--compact");
            }
            sslth(&args);
            let ours = sslth::files::read_ticket(Path::new(&out)).unwrap().net.forward_batch(&inputs, rows);
            let y = dir.join(format!("py-{name}-{compact}.npy"));
            let mut py = Command::new(&python);
            py.arg(&script).arg(&out).arg(dir.join("x.npy")).arg(&y).arg("--scaled");
            assert!(py.status().unwrap().success(), "the reference loader failed on {out}");
            let gap = worst(&read_npy(&y), &ours);
            assert!(gap < 1e-5, "{name} compact={compact}: numpy and sslth differ by {gap}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Tickets many of whose instances keep a subset of another size than k
/// (`--n 6 --k 4`: sides of about 6, docs/THEORY.md §3.2 "Which size"), in
/// both orders (`fixed`: numbered beyond C(m, κ) in `subset-ranks-eg`;
/// `fewest`: `fewest-ranks-eg`): the numpy loader decodes their compact
/// files to what sslth runs.
#[test]
fn numpy_loader_decodes_subsets_of_other_sizes() {
    let (python, script, dir) = scratch("sizes");
    let p = |name: &str| dir.join(name).display().to_string();
    run(&["train", "--arch", "64-16-10", "--bias", "--epochs", "3", "-o", &p("t.safetensors")]);
    let test = sslth::data::digits().test;
    let (rows, d) = (100, test.dim);
    let inputs = test.inputs[..rows * d].to_vec();
    write_npy(&dir.join("x.npy"), &inputs, rows, d);
    for order in ["fixed", "fewest"] {
        let build = ["build", "--target", &p("t.safetensors"), "--weight-eps", "0.01", "--n", "6", "--k", "4"];
        let (full, compact) = (p(&format!("{order}.safetensors")), p(&format!("{order}-c.safetensors")));
        run(&[&build[..], &["--subsets", order, "--accept-misses", "--json", "-o", &full]].concat());
        run(&[&build[..], &["--subsets", order, "--accept-misses", "--json", "--compact", "-o", &compact]].concat());
        let ticket = sslth::files::read_ticket(Path::new(&full)).unwrap();
        // Some instance of layer 0 keeps a number of edges other than
        // κ = min(4, m), m its side's size (a_h regenerated as the
        // construction draws it: seed 0, stream 0, d_in = 65 with the bias).
        let (two_n, d_in) = (12usize, 65usize);
        let negative = |h: usize| (sslth::weights::uniform_weight(0, 0, (h * d_in + h / two_n) as u64) as f32) < 0.0;
        let b = &ticket.net.layers[1];
        let mut per_instance = std::collections::HashMap::new();
        for (&r, &c) in b.rows.iter().zip(&b.cols) {
            *per_instance.entry((r, c as usize / two_n, negative(c as usize))).or_insert(0usize) += 1;
        }
        let other = per_instance.iter().filter(|&(&(_, j, side), &count)| {
            let m = (j * two_n..(j + 1) * two_n).filter(|&h| negative(h) == side).count();
            count != m.min(4)
        });
        assert!(other.count() > 0, "{order}: no instance of another size: the path is not tested");
        let ours = ticket.net.forward_batch(&inputs, rows);
        for file in [&full, &compact] {
            let gap = numpy_gap((&python, &script), file, &dir, &ours);
            assert!(gap < 1e-5, "{file}: numpy and sslth differ by {gap}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Targets that record their architecture (zero, reflect and replicate
/// padding, stride, dilation, an even kernel, a folded batch norm, max,
/// average and adaptive pooling before or after the ReLU, a flatten) and
/// their version-4 tickets, full and compact, run in the numpy loader as
/// in sslth: docs/FORMAT.md's architecture and version 4 read by a second
/// implementation. (Long: the list of architectures is the test.)
#[test]
fn numpy_loader_runs_general_layers() {
    let (python, script, dir) = scratch("general");
    let conv = |i: usize, o: usize, k: [usize; 2], s: usize, p: [usize; 2], d: usize, mode: &str| {
        format!(
            r#"{{"layer": "conv2d", "in_channels": {i}, "out_channels": {o}, "kernel": {k:?}, "stride": [{s}, {s}],
                "padding": {p:?}, "dilation": [{d}, {d}], "padding_mode": "{mode}", "bias": true}}"#
        )
    };
    let pool = |kind: &str, k: usize, s: usize, p: usize| {
        let extra = if kind == "max" { r#""dilation": [1, 1]"# } else { r#""count_include_pad": false"# };
        format!(
            r#"{{"layer": "{kind}_pool2d", "kernel": [{k}, {k}], "stride": [{s}, {s}], "padding": [{p}, {p}], {extra}}}"#
        )
    };
    let relu = r#"{"layer": "relu"}"#.to_string();
    let flatten = r#"{"layer": "flatten"}"#.to_string();
    let linear =
        |i: usize, o: usize| format!(r#"{{"layer": "linear", "in_features": {i}, "out_features": {o}, "bias": true}}"#);
    let archs = [
        vec![
            conv(1, 3, [3, 3], 2, [1, 1], 1, "zeros"),
            r#"{"layer": "batch_norm", "features": 3, "eps": 1e-5}"#.into(),
            relu.clone(),
            pool("max", 2, 2, 0),
            flatten.clone(),
            linear(12, 4),
        ],
        vec![
            conv(1, 2, [3, 3], 1, [1, 1], 1, "reflect"),
            pool("max", 3, 2, 1),
            relu.clone(),
            conv(2, 3, [2, 2], 1, [1, 0], 2, "replicate"),
            relu.clone(),
            pool("avg", 2, 1, 1),
            r#"{"layer": "adaptive_max_pool2d", "output": [2, 3]}"#.into(),
            flatten.clone(),
            linear(18, 4),
        ],
        // A strided residual block with a 1×1 shortcut, then an identity one.
        vec![
            conv(1, 2, [3, 3], 1, [1, 1], 1, "zeros"),
            relu.clone(),
            format!(
                r#"{{"layer": "residual", "main": [{}, {relu}, {}], "shortcut": [{}]}}"#,
                conv(2, 3, [3, 3], 2, [1, 1], 1, "zeros"),
                conv(3, 3, [3, 3], 1, [1, 1], 1, "reflect"),
                conv(2, 3, [1, 1], 2, [0, 0], 1, "zeros")
            ),
            relu.clone(),
            format!(
                r#"{{"layer": "residual", "main": [{}], "shortcut": []}}"#,
                conv(3, 3, [3, 3], 1, [1, 1], 1, "zeros")
            ),
            relu.clone(),
            flatten.clone(),
            linear(48, 4),
        ],
    ];
    let (rows, d) = (40, 64);
    let x: Vec<f32> = (0..rows * d).map(|i| (sslth::weights::uniform_weight(3, 0, i as u64) * 0.2) as f32).collect();
    write_npy(&dir.join("x.npy"), &x, rows, d);
    for (a, layers) in archs.iter().enumerate() {
        let json = format!(
            r#"{{"input": {{"kind": "image", "channels": 1, "height": 8, "width": 8}}, "layers": [{}]}}"#,
            layers.join(", ")
        );
        let arch: sslth::net::Architecture = serde_json::from_str(&json).unwrap();
        let mut shapes = sslth::net::Tensors::new();
        fill(&serde_json::to_value(&arch.layers).unwrap(), "", &mut shapes);
        let net = sslth::net::Network::from_architecture(&arch, shapes).unwrap();
        let target = dir.join(format!("target{a}.safetensors"));
        std::fs::write(&target, sslth::files::target::to_safetensors(&net, None, Default::default())).unwrap();
        let target = target.display().to_string();
        for compact in [false, true] {
            let ticket = dir.join(format!("ticket{a}-{compact}.safetensors")).display().to_string();
            let mut args =
                vec!["build", "--target", &target, "--k", "4", "--weight-eps", "0.01", "--data", "none", "-o", &ticket];
            if compact {
                args.push("--compact");
            }
            let o = Command::new(env!("CARGO_BIN_EXE_sslth")).args(&args).output().unwrap();
            assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
            let loaded = sslth::files::read_ticket(Path::new(&ticket)).unwrap();
            assert_eq!(loaded.meta.version, 4);
            for (file, ours) in [(&ticket, loaded.net.forward_batch(&x, rows)), (&target, net.forward_batch(&x, rows))]
            {
                let gap = numpy_gap((&python, &script), file, &dir, &ours);
                assert!(gap < 1e-5, "{file}: numpy and sslth differ by {gap}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Seeded tensors of every shape the architecture layers (JSON) name,
/// `{prefix}{i}.…`, residual blocks' paths included.
fn fill(layers: &serde_json::Value, prefix: &str, named: &mut sslth::net::Tensors) {
    for (i, l) in layers.as_array().unwrap().iter().enumerate() {
        let n = |k: &str| l[k].as_u64().unwrap_or(0) as usize;
        let mut put = |name: &str, shape: Vec<usize>, shift: f32| {
            let len = shape.iter().product::<usize>();
            let s = (i * 10 + name.len() + prefix.len() * 100) as u64;
            let v = (0..len).map(|j| (sslth::weights::uniform_weight(9, s, j as u64) * 0.4) as f32 + shift);
            named.insert(format!("{prefix}{i}.{name}"), (shape, v.collect()));
        };
        match l["layer"].as_str().unwrap() {
            "conv2d" => {
                let k: Vec<usize> =
                    l["kernel"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
                put("weight", vec![n("out_channels"), n("in_channels"), k[0], k[1]], 0.0);
                put("bias", vec![n("out_channels")], 0.0);
            }
            "linear" => {
                put("weight", vec![n("out_features"), n("in_features")], 0.0);
                put("bias", vec![n("out_features")], 0.0);
            }
            "batch_norm" => {
                for (t, shift) in [("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)] {
                    put(t, vec![n("features")], shift);
                }
            }
            "residual" => {
                fill(&l["main"], &format!("{prefix}{i}.main."), named);
                fill(&l["shortcut"], &format!("{prefix}{i}.shortcut."), named);
            }
            _ => {}
        }
    }
}
