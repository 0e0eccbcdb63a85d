//! Target and ticket files: round trips, PyTorch's layout, and one-line
//! errors.

mod common;

use sslth::net::{LinearWeights, Network};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sslth-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A safetensors file written by hand (header JSON + data), as PyTorch or
/// numpy would.
fn raw_file(name: &str, tensors: &[(&str, &str, Vec<usize>, Vec<u8>)]) -> PathBuf {
    let mut header = serde_json::Map::new();
    let mut off = 0;
    for (n, dtype, shape, bytes) in tensors {
        header.insert(
            n.to_string(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [off, off + bytes.len()]}),
        );
        off += bytes.len();
    }
    let text = serde_json::to_string(&header).unwrap();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    for t in tensors {
        out.extend_from_slice(&t.3);
    }
    let p = tmp(name);
    std::fs::write(&p, out).unwrap();
    p
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn mlp() -> Vec<LinearWeights> {
    vec![
        LinearWeights { d_in: 3, d_out: 2, weight: vec![0.5, -1.0, 2.0, 0.25, 0.0, -0.5], bias: Some(vec![0.1, -0.2]) },
        LinearWeights { d_in: 2, d_out: 1, weight: vec![1.5, -2.5], bias: None },
    ]
}

/// A target file read as an MLP's dense layers.
fn load_mlp(p: &std::path::Path) -> Result<Vec<LinearWeights>, String> {
    let (net, _) = sslth::files::target::load(p, None).map_err(|e| e.to_string())?;
    net.linear_weights().ok_or_else(|| "not an MLP".to_string())
}

#[test]
fn round_trip_and_forward() {
    let m = mlp();
    let p = tmp("rt.safetensors");
    let net = Network::mlp(&m);
    std::fs::write(&p, sslth::files::target::to_safetensors(&net, None, Default::default())).unwrap();
    assert_eq!(load_mlp(&p).unwrap(), m);
    // f(x) by hand: h = relu([0.5-1+2+0.1, 0.25-0.5-0.2]) = [1.6, 0]; y = 1.5·1.6.
    let m = net;
    let y = m.forward(&[1.0, 1.0, 1.0]);
    assert!((y[0] - 2.4).abs() < 1e-6);
    assert_eq!(m.widths(), vec![3, 2, 1]);
    assert_eq!(m.weight_count(), 8);
}

#[test]
fn reads_a_pytorch_style_file_with_f64() {
    let f64s = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let p = raw_file(
        "torch.safetensors",
        &[
            ("2.weight", "F64", vec![1, 2], f64s(&[1.5, -2.5])),
            ("0.bias", "F32", vec![2], f32s(&[0.1, -0.2])),
            ("0.weight", "F32", vec![2, 3], f32s(&[0.5, -1.0, 2.0, 0.25, 0.0, -0.5])),
        ],
    );
    assert_eq!(load_mlp(&p).unwrap(), mlp());
}

#[test]
fn bad_files_get_one_line_errors() {
    let check = |p: PathBuf, needle: &str| {
        let e = load_mlp(&p).unwrap_err();
        assert!(e.contains(needle), "expected '{needle}' in: {e}");
        assert!(!e.contains('\n'));
    };
    check(tmp("does-not-exist.safetensors"), "cannot read");
    let junk = tmp("junk.safetensors");
    std::fs::write(&junk, b"not a safetensors file at all").unwrap();
    check(junk, "not a valid safetensors file");
    check(
        raw_file(
            "gap.safetensors",
            &[("0.weight", "F32", vec![2, 3], f32s(&[0.0; 6])), ("4.weight", "F32", vec![1, 2], f32s(&[0.0; 2]))],
        ),
        "missing layer",
    );
    check(
        raw_file(
            "chain.safetensors",
            &[("0.weight", "F32", vec![2, 3], f32s(&[0.0; 6])), ("2.weight", "F32", vec![1, 4], f32s(&[0.0; 4]))],
        ),
        "do not chain",
    );
    check(raw_file("nan.safetensors", &[("0.weight", "F32", vec![1, 2], f32s(&[0.0, f32::NAN]))]), "non-finite");
    check(raw_file("f16.safetensors", &[("0.weight", "F16", vec![1, 2], vec![0; 4])]), "dtype");
    check(raw_file("name.safetensors", &[("fc1.weight", "F32", vec![1, 1], f32s(&[1.0]))]), "N.weight");
    check(raw_file("bias.safetensors", &[("0.bias", "F32", vec![2], f32s(&[1.0, 2.0]))]), "no 0.weight");
    check(raw_file("shape.safetensors", &[("0.weight", "F32", vec![4], f32s(&[0.0; 4]))]), "shape");
    check(
        raw_file(
            "blen.safetensors",
            &[("0.weight", "F32", vec![2, 1], f32s(&[0.0; 2])), ("0.bias", "F32", vec![3], f32s(&[0.0; 3]))],
        ),
        "0.bias has 3 values",
    );
}

#[test]
fn tickets_with_impossible_metadata_are_refused_in_one_line() {
    use sslth::construction::{build, plan, BuildConfig, Sizing, Tolerance};
    let mlp = common::random_mlp(&[5, 4, 3], 2, 0.5, true);
    let cfg = BuildConfig {
        seed: 1,
        sizing: Sizing::Fixed { n: 8, k: 2 },
        tolerance: Tolerance::Weight(0.05),
        nonneg_input: false,
        scale: None,
        scale_quantile: None,
        accept_over_eps: false,
        accept_misses: false,
        walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
        subsets: sslth::ticket::SubsetOrder::Fewest,
    };
    let target = sslth::net::Network::mlp(&mlp);
    let ticket = build(&target, &plan(&target, &cfg).unwrap(), 1, false, &|| true).unwrap();
    let net = ticket.to_sparse();
    let good = ticket.meta(&target, 1.0, None, None);
    type Corruption = fn(&mut sslth::ticket::TicketMeta);
    let corrupt: Vec<(&str, Corruption)> = vec![
        ("too large", |m| m.pairs[0].n = 1 << 40),
        ("too large", |m| m.pairs[1].rows = usize::MAX / 2),
        ("k = 9", |m| m.pairs[0].k = 9),
        ("rows = 0", |m| m.pairs[1].rows = 0),
        ("pair 1 takes 7", |m| m.pairs[1].d_in = 7),
        ("no layers", |m| m.pairs.clear()),
        ("scale -1", |m| m.pairs[0].scale = -1.0),
    ];
    for (compact, bytes_of) in
        [(true, sslth::files::compact_bytes as fn(&_, &_) -> Vec<u8>), (false, sslth::files::full_bytes)]
    {
        let ok = tmp("ok-ticket.safetensors");
        std::fs::write(&ok, bytes_of(&net, &good)).unwrap();
        assert!(sslth::files::read_ticket(&ok).is_ok());
        for (needle, f) in &corrupt {
            let mut m = good.clone();
            f(&mut m);
            let p = tmp("bad-ticket.safetensors");
            std::fs::write(&p, with_meta(&bytes_of(&net, &good), &m)).unwrap();
            let e = sslth::files::read_ticket(&p).unwrap_err().to_string();
            assert!(e.contains("bad sslth metadata") && e.contains(needle), "compact {compact}, {needle}: {e}");
            assert!(!e.contains('\n'));
        }
    }
}

/// A safetensors file's bytes with its `sslth` metadata replaced (tensors
/// untouched), as a corrupted or hostile file would carry it.
fn with_meta(bytes: &[u8], meta: &sslth::ticket::TicketMeta) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"]["sslth"] = serde_json::Value::String(serde_json::to_string(meta).unwrap());
    let mut text = serde_json::to_vec(&header).unwrap();
    while text.len() % 8 != 0 {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}
