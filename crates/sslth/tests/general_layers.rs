//! Tickets of the layers PyTorch models are made of (docs/THEORY.md §4.3,
//! §4.4): convolutions with zero, reflect, replicate or circular padding,
//! stride, dilation and even kernels, max, average and adaptive pooling
//! before or after the ReLU, flattens, folded batch norms. Each ticket's
//! error is checked against both certificates on sampled inputs and
//! against the exact-gradient attack, the tight certificate at radius 0
//! must equal the error at each point (every relaxation exact there), its
//! files round-trip bit for bit and verify, a target that differs only in
//! its padding or pooling is refused, and a circular strided network's
//! ticket is exactly invariant to the shifts its target is invariant to.

use sslth::construction::{
    augmented_layers, build, certify_edges, certify_rows, check_target, plan, BuildConfig, Sizing, Ticket, Tolerance,
    DEFAULT_WALK_BUDGET,
};
use sslth::data::Dataset;
use sslth::experiments::attack::{attack, AttackConfig};
use sslth::files;
use sslth::net::{Architecture, Network, Tensors};
use sslth::weights::uniform_weight;

fn draw(n: usize, stream: u64, scale: f64) -> Vec<f32> {
    (0..n).map(|i| (scale * uniform_weight(31, stream, i as u64)) as f32).collect()
}

/// A network from an architecture's JSON with seeded weights for every
/// tensor it names (batch-norm variances positive), residual blocks'
/// paths included.
fn network(json: &str) -> Network {
    let arch: Architecture = serde_json::from_str(json).unwrap();
    let mut tensors = Tensors::new();
    fill(&serde_json::to_value(&arch.layers).unwrap(), "", &mut tensors);
    Network::from_architecture(&arch, tensors).unwrap()
}

fn fill(layers: &serde_json::Value, prefix: &str, tensors: &mut Tensors) {
    for (i, layer) in layers.as_array().unwrap().iter().enumerate() {
        let get = |k: &str| layer[k].as_u64().unwrap_or(0) as usize;
        let s = 100 * i as u64 + 7 * prefix.len() as u64;
        let mut put = |name: &str, shape: Vec<usize>, scale: f64, shift: f32| {
            let n = shape.iter().product();
            let v = draw(n, s + name.len() as u64, scale).into_iter().map(|v| v + shift).collect();
            tensors.insert(format!("{prefix}{i}.{name}"), (shape, v));
        };
        match layer["layer"].as_str().unwrap() {
            "conv2d" => {
                let k = layer["kernel"].as_array().unwrap();
                let (o, c) = (get("out_channels"), get("in_channels"));
                let shape = vec![o, c, k[0].as_u64().unwrap() as usize, k[1].as_u64().unwrap() as usize];
                put("weight", shape, 0.4, 0.0);
                if layer["bias"].as_bool().unwrap() {
                    put("bias", vec![o], 0.2, 0.0);
                }
            }
            "linear" => {
                let (o, c) = (get("out_features"), get("in_features"));
                put("weight", vec![o, c], 0.3, 0.0);
                if layer["bias"].as_bool().unwrap() {
                    put("bias", vec![o], 0.2, 0.0);
                }
            }
            "batch_norm" => {
                let f = get("features");
                put("weight", vec![f], 0.3, 1.0);
                put("bias", vec![f], 0.1, 0.0);
                put("running_mean", vec![f], 0.1, 0.0);
                put("running_var", vec![f], 0.3, 1.0);
            }
            "residual" => {
                fill(&layer["main"], &format!("{prefix}{i}.main."), tensors);
                fill(&layer["shortcut"], &format!("{prefix}{i}.shortcut."), tensors);
            }
            _ => {}
        }
    }
}

/// A `conv2d` layer with a bias (see [`no_bias`]).
fn conv(i: usize, o: usize, k: [usize; 2], stride: usize, pad: [usize; 2], dil: usize, mode: &str) -> String {
    format!(
        r#"{{"layer": "conv2d", "in_channels": {i}, "out_channels": {o}, "kernel": {k:?}, "stride": [{stride}, {stride}],
            "padding": {pad:?}, "dilation": [{dil}, {dil}], "padding_mode": "{mode}", "bias": true}}"#
    )
}

fn no_bias(layer: String) -> String {
    layer.replace(r#""bias": true"#, r#""bias": false"#)
}

fn arch(channels: usize, h: usize, w: usize, layers: &[String]) -> String {
    format!(
        r#"{{"input": {{"kind": "image", "channels": {channels}, "height": {h}, "width": {w}}}, "layers": [{}]}}"#,
        layers.join(", ")
    )
}

const RELU: &str = r#"{"layer": "relu"}"#;
const FLATTEN: &str = r#"{"layer": "flatten"}"#;

fn linear(i: usize, o: usize) -> String {
    format!(r#"{{"layer": "linear", "in_features": {i}, "out_features": {o}, "bias": true}}"#)
}

/// The targets: what PyTorch models are made of, on 1×8×8 images. (Long:
/// a list of architectures, one per layer kind.)
fn targets() -> Vec<(&'static str, Network)> {
    let r = RELU.to_string();
    let f = FLATTEN.to_string();
    vec![
        (
            "zeros stride 2, batch norm, max pool, flatten",
            network(&arch(1, 8, 8, &[
                conv(1, 3, [3, 3], 2, [1, 1], 1, "zeros"),
                r#"{"layer": "batch_norm", "features": 3, "eps": 1e-5}"#.into(),
                r.clone(),
                r#"{"layer": "max_pool2d", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0], "dilation": [1, 1]}"#.into(),
                f.clone(),
                linear(12, 5),
                r.clone(),
                linear(5, 3),
            ])),
        ),
        (
            "reflect, average pool, adaptive max pool",
            network(&arch(1, 8, 8, &[
                conv(1, 2, [3, 3], 1, [1, 1], 1, "reflect"),
                r.clone(),
                r#"{"layer": "avg_pool2d", "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "count_include_pad": false}"#.into(),
                conv(2, 3, [2, 2], 1, [0, 0], 1, "zeros"),
                r.clone(),
                r#"{"layer": "adaptive_max_pool2d", "output": [2, 2]}"#.into(),
                f.clone(),
                linear(12, 3),
            ])),
        ),
        (
            "a residual block: stride 2, batch norms, a 1×1 shortcut",
            network(&arch(
                1,
                6,
                6,
                &[
                    conv(1, 3, [3, 3], 1, [1, 1], 1, "zeros"),
                    r.clone(),
                    format!(
                        r#"{{"layer": "residual", "main": [{}, {}, {RELU}, {}], "shortcut": [{}, {}]}}"#,
                        conv(3, 4, [3, 3], 2, [1, 1], 1, "zeros"),
                        r#"{"layer": "batch_norm", "features": 4, "eps": 1e-5}"#,
                        conv(4, 4, [3, 3], 1, [1, 1], 1, "zeros"),
                        no_bias(conv(3, 4, [1, 1], 2, [0, 0], 1, "zeros")),
                        r#"{"layer": "batch_norm", "features": 4, "eps": 1e-5}"#,
                    ),
                    r.clone(),
                    r#"{"layer": "adaptive_avg_pool2d", "output": [1, 1]}"#.into(),
                    f.clone(),
                    linear(4, 3),
                ],
            )),
        ),
        (
            "two identity residual blocks in a row (the constant summed to 2, then 3), max pooling in a path",
            network(&arch(
                1,
                6,
                6,
                &[
                    conv(1, 3, [3, 3], 1, [1, 1], 1, "zeros"),
                    r.clone(),
                    format!(
                        r#"{{"layer": "residual", "main": [{}, {RELU}, {}], "shortcut": []}}"#,
                        conv(3, 3, [3, 3], 1, [1, 1], 1, "reflect"),
                        conv(3, 3, [3, 3], 1, [1, 1], 1, "zeros"),
                    ),
                    r.clone(),
                    format!(
                        r#"{{"layer": "residual", "main": [{}, {RELU}, {}], "shortcut": []}}"#,
                        conv(3, 3, [3, 3], 1, [1, 1], 1, "zeros"),
                        r#"{"layer": "max_pool2d", "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [1, 1]}"#,
                    ),
                    r.clone(),
                    r#"{"layer": "adaptive_avg_pool2d", "output": [1, 1]}"#.into(),
                    f.clone(),
                    linear(3, 3),
                ],
            )),
        ),
        (
            "a 1×1 convolution, ReLU alone between layers",
            network(&arch(
                1,
                6,
                6,
                &[
                    conv(1, 5, [1, 1], 1, [0, 0], 1, "zeros"),
                    r.clone(),
                    conv(5, 4, [3, 3], 1, [1, 1], 1, "zeros"),
                    r.clone(),
                    r#"{"layer": "adaptive_avg_pool2d", "output": [1, 1]}"#.into(),
                    f.clone(),
                    linear(4, 3),
                ],
            )),
        ),
        (
            "replicate dilated even kernel, pooling before the ReLU, no bias",
            network(&arch(2, 8, 8, &[
                no_bias(conv(2, 3, [4, 2], 1, [3, 1], 2, "replicate")),
                r#"{"layer": "max_pool2d", "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "dilation": [1, 1]}"#.into(),
                r.clone(),
                r#"{"layer": "adaptive_avg_pool2d", "output": [1, 1]}"#.into(),
                f.clone(),
                r#"{"layer": "linear", "in_features": 3, "out_features": 2, "bias": false}"#.into(),
            ])),
        ),
    ]
}

fn ticket_of(net: &Network, eps: f64) -> Ticket {
    let cfg = BuildConfig {
        seed: 9,
        sizing: Sizing::Fixed { n: 24, k: 6 },
        tolerance: Tolerance::Weight(eps),
        nonneg_input: false,
        scale: None,
        scale_quantile: None,
        accept_over_eps: false,
        accept_misses: true,
        walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
        subsets: sslth::ticket::SubsetOrder::Fewest,
    };
    build(net, &plan(net, &cfg).unwrap(), cfg.seed, false, &|| true).unwrap()
}

/// `n` seeded values in [0, `hi`].
fn xb_rows(n: usize, hi: f64) -> Vec<f32> {
    draw(n, 12, 1.0).iter().map(|v| (v.abs() * hi as f32).min(hi as f32)).collect()
}

fn l2(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn tickets_stay_within_both_certificates_and_round_trip_through_files() {
    let dir = std::env::temp_dir().join(format!("sslth-general-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, net) in targets() {
        let t = ticket_of(&net, 2e-3);
        let g = t.to_sparse();
        let cert = t.certificate(&net).unwrap();
        // The ball: inputs of norm 1 in seeded directions, both signs.
        let rows = 64;
        let d = net.d_in();
        let raw = draw(rows * d, 7, 1.0);
        let x: Vec<f32> = raw.chunks(d).flat_map(|r| r.iter().map(move |v| v / l2(r) as f32)).collect();
        let (f, gx) = (net.forward_batch(&x, rows), g.forward_batch(&x, rows));
        let k = f.len() / rows;
        assert!((0..k).any(|o| (f[o] - f[k + o]).abs() > 1e-5), "{name}: the target is dead: {f:?}");
        for (a, b) in f.chunks(k).zip(gx.chunks(k)) {
            let e: Vec<f32> = a.iter().zip(b).map(|(p, q)| p - q).collect();
            assert!(l2(&e) <= cert.bound, "{name}: error {} above the certificate {}", l2(&e), cert.bound);
        }
        // The ticket as a network of masked dense layers (what `to_torch`
        // builds) computes the same function.
        let as_net = g.to_network().unwrap();
        let dense = as_net.forward_batch(&x, rows);
        // Residual blocks stay blocks, their sums fixed: none is unrolled
        // into pairs.
        let blocks = |n: &Network| n.architecture().0.layers.iter().filter(|l| l.name() == "residual").count();
        assert_eq!(blocks(&as_net), blocks(&net), "{name}");
        assert_eq!(t.pairs.len(), net.structure().unwrap().linear.len(), "{name}");
        let gap = dense.iter().zip(&gx).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(gap <= 1e-5 * (1.0 + l2(&gx) as f32), "{name}: {gap}");
        // The box [0, X]^d: the tight certificate bounds the ℓ∞ error.
        let x_max = 0.5;
        let tight = t.tight_certificate(&net, x_max, cert.bound, DEFAULT_WALK_BUDGET).unwrap();
        assert!(tight.bound <= cert.bound && tight.bound > 0.0, "{name}: {tight:?}");
        let xb: Vec<f32> = draw(rows * d, 8, 1.0).iter().map(|v| (v.abs() * x_max as f32).min(x_max as f32)).collect();
        let corners: Vec<f32> =
            (0..rows * d).map(|i| if uniform_weight(4, 0, i as u64) > 0.0 { x_max as f32 } else { 0.0 }).collect();
        for xs in [xb, corners] {
            let (f, gx) = (net.forward_batch(&xs, rows), g.forward_batch(&xs, rows));
            let worst = f.iter().zip(&gx).map(|(p, q)| f64::from((p - q).abs())).fold(0.0, f64::max);
            assert!(worst <= tight.bound, "{name}: ℓ∞ error {worst} above the tight bound {}", tight.bound);
        }
        // The exact-gradient attack, climbing every output's difference in
        // both directions, stays under it too (float32 passes: 10⁻⁵ slack).
        let shape = net.architecture().0.input.expect("image targets");
        let data = Dataset {
            inputs: xb_rows(rows * d, x_max),
            labels: vec![0; rows],
            dim: d,
            scale: 1.0,
            input_max: x_max,
            name: "box",
            shape,
        };
        let found = attack(&net, &g, &data, &AttackConfig { starts: 12, steps: 30, seed: 3 }, &|| true).unwrap();
        assert!(
            found.best_error <= tight.bound + 1e-5,
            "{name}: the attack found {} above the tight bound {}",
            found.best_error,
            tight.bound
        );
        // On a ball of radius 0 every relaxation is exact: each point's
        // bound is its ℓ∞ error (float32 passes against exact arithmetic).
        for x in data.inputs.chunks(d).take(6) {
            let one = Dataset { inputs: x.to_vec(), labels: vec![0], ..data.clone() };
            let local =
                certify_rows(&net, t.nonneg_input, &t.approximations(), &one, 0.0, DEFAULT_WALK_BUDGET, &|| true)
                    .unwrap()
                    .unwrap();
            let (f, gx) = (net.forward_batch(x, 1), g.forward_batch(x, 1));
            let error = f.iter().zip(&gx).map(|(p, q)| f64::from((p - q).abs())).fold(0.0, f64::max);
            let scale = f.iter().map(|v| f64::from(v.abs())).fold(1.0, f64::max);
            let gap = (local.median_bound - error).abs();
            assert!(gap <= 1e-5 * scale, "{name}: bound {} at a point where the error is {error}", local.median_bound);
        }
        // A is pointwise: one random edge per (hidden neuron, input
        // channel) for a general convolution.
        for (p, layer) in t.pairs.iter().zip(augmented_layers(&net, false).unwrap()) {
            assert_eq!(p.random_edges(), (p.hidden() * (p.a_size * p.d_in + p.basis * p.d_out)) as u64);
            if layer.basis.spec().a_spec() != layer.basis.spec() {
                assert_eq!(p.a_size, 1, "{name}");
            }
        }
        // Files: version 4, the same logits, verified, the same certificate.
        let meta = t.meta(&net, cert.bound, None, None);
        assert_eq!(meta.version, 4, "{name}");
        for (kind, bytes) in [("full", files::full_bytes(&g, &meta)), ("compact", files::compact_bytes(&g, &meta))] {
            let p = dir.join(format!("{kind}.safetensors"));
            std::fs::write(&p, bytes).unwrap();
            let loaded = files::read_ticket(&p).unwrap();
            assert_eq!(loaded.net.forward_batch(&x, rows), gx, "{name} {kind}");
            let v = files::verify(&loaded);
            assert!(v.mismatches == 0 && v.density_matches, "{name} {kind}: {v:?}");
            let again = certify_edges(&net, &loaded.net, &loaded.meta).unwrap().bound;
            assert!((again - cert.bound).abs() <= 1e-9 * cert.bound, "{name} {kind}: {again} vs {}", cert.bound);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_ticket_is_refused_against_a_target_that_pads_or_pools_otherwise() {
    let r = RELU.to_string();
    let body = |mode: &str, pool: &str| {
        network(&arch(
            1,
            8,
            8,
            &[
                conv(1, 2, [3, 3], 1, [1, 1], 1, mode),
                r.clone(),
                format!(
                    r#"{{"layer": "{pool}", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0], "dilation": [1, 1]}}"#
                ),
                FLATTEN.into(),
                linear(32, 3),
            ],
        ))
    };
    let zeros = body("zeros", "max_pool2d");
    let t = ticket_of(&zeros, 1e-2);
    let meta = t.meta(&zeros, 1.0, None, None);
    check_target(&meta, &zeros).unwrap();
    let e = check_target(&meta, &body("reflect", "max_pool2d")).unwrap_err();
    assert!(e.contains("basis mismatch") && e.contains("zeros") && e.contains("reflect"), "{e}");
    let avg = network(&arch(1, 8, 8, &[
        conv(1, 2, [3, 3], 1, [1, 1], 1, "zeros"),
        r.clone(),
        r#"{"layer": "avg_pool2d", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0], "count_include_pad": true}"#.into(),
        FLATTEN.into(),
        linear(32, 3),
    ]));
    let e = check_target(&meta, &avg).unwrap_err();
    assert!(e.contains("after pair 0"), "{e}");
}

/// A ticket file whose residual operations do not make blocks is refused
/// in one line: a fork never joined, an add with nothing set aside, a sum
/// of two shapes; a ticket of an identity block against a target whose
/// block has a shortcut is refused too.
#[test]
fn ticket_files_with_broken_residual_blocks_are_refused() {
    use sslth::net::FixedOp;
    let (_, net) = targets().into_iter().find(|(name, _)| name.starts_with("a residual block")).unwrap();
    let t = ticket_of(&net, 1e-2);
    let meta = t.meta(&net, 1.0, None, None);
    let g = t.to_sparse();
    let dir = std::env::temp_dir().join(format!("sslth-broken-blocks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.safetensors");
    let read = |meta: &sslth::ticket::TicketMeta| {
        std::fs::write(&path, files::full_bytes(&g, meta)).unwrap();
        files::read_ticket(&path).map(|_| ()).unwrap_err().to_string()
    };
    let edit = |from: FixedOp, to: Option<FixedOp>| {
        let mut m = meta.clone();
        let ops = m.ops.iter_mut().find(|ops| ops.contains(&from)).unwrap();
        let at = ops.iter().position(|op| *op == from).unwrap();
        match to {
            Some(op) => ops[at] = op,
            None => {
                ops.remove(at);
            }
        }
        m
    };
    let cases = [
        (edit(FixedOp::Add, None), "a residual block forks after a pair and never joins"),
        (edit(FixedOp::Fork, None), "no fork before it"),
        // Adding before the swap sums the block's input (6×6) and the
        // strided main path's output (3×3).
        (edit(FixedOp::Swap, Some(FixedOp::Add)), "sums values of different shapes"),
    ];
    for (m, needle) in cases {
        let e = read(&m);
        assert!(e.contains(needle) && !e.contains('\n'), "{needle}: {e}");
    }
    std::fs::write(&path, files::full_bytes(&g, &meta)).unwrap();
    files::read_ticket(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn what_would_break_the_carried_constant_is_refused_in_one_line() {
    let net = network(&arch(1, 6, 6, &[
        conv(1, 2, [3, 3], 1, [1, 1], 1, "zeros"),
        RELU.into(),
        r#"{"layer": "avg_pool2d", "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "count_include_pad": true}"#.into(),
        FLATTEN.into(),
        linear(72, 3),
    ]));
    let e = augmented_layers(&net, false).unwrap_err();
    assert!(e.contains("count_include_pad=False") && !e.contains('\n'), "{e}");
    // A padding so wide that every offset reads outside the map somewhere.
    let wide = network(&arch(
        1,
        3,
        3,
        &[conv(1, 2, [2, 2], 1, [2, 2], 1, "zeros"), RELU.into(), FLATTEN.into(), linear(72, 3)],
    ));
    let e = augmented_layers(&wide, false).unwrap_err();
    assert!(e.contains("no offset carries the constant channel"), "{e}");
}

/// A circular stride-2 network with a global mean is invariant to shifts
/// of its input by 2 (its feature maps shift by 1); the ticket is too, to
/// rounding. The same network zero-padded is not (the control).
#[test]
fn a_circular_strided_ticket_is_invariant_where_its_target_is() {
    let net = |mode: &str| {
        network(&arch(
            1,
            8,
            8,
            &[
                conv(1, 3, [3, 3], 2, [1, 1], 1, mode),
                RELU.into(),
                conv(3, 2, [3, 3], 1, [1, 1], 1, mode),
                RELU.into(),
                r#"{"layer": "adaptive_avg_pool2d", "output": [1, 1]}"#.into(),
                FLATTEN.into(),
                linear(2, 3),
            ],
        ))
    };
    let shift = |x: &[f32], s: usize, t: usize| -> Vec<f32> {
        (0..x.len()).map(|u| x[(u / 64) * 64 + ((u % 64 / 8 + s) % 8) * 8 + (u % 8 + t) % 8]).collect()
    };
    let rows = 6;
    let x: Vec<f32> = draw(rows * 64, 12, 1.0).iter().map(|v| v.abs()).collect();
    // The target is alive: its outputs differ between rows.
    let y = net("zeros").forward_batch(&x, rows);
    assert!(y[..3].iter().zip(&y[3..6]).any(|(a, b)| (a - b).abs() > 1e-3), "{y:?}");
    let worst = |g: &sslth::ticket::SparseNet| {
        let y = g.forward_batch(&x, rows);
        [(2, 0), (0, 4), (6, 2)]
            .iter()
            .map(|&(s, t)| {
                let xs: Vec<f32> = x.chunks(64).flat_map(|r| shift(r, s, t)).collect();
                let ys = g.forward_batch(&xs, rows);
                y.iter().zip(&ys).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max)
            })
            .fold(0.0f32, f32::max)
    };
    let circular = ticket_of(&net("circular"), 1e-3).to_sparse();
    assert!(worst(&circular) < 1e-6, "circular: {}", worst(&circular));
    let zeros = ticket_of(&net("zeros"), 1e-3).to_sparse();
    assert!(worst(&zeros) > 1e-4, "zero padding is not invariant: {}", worst(&zeros));
}

/// A residual block read from an architecture computes main(x) +
/// shortcut(x), its paths run as networks of their own from the same
/// tensors: a strided block with a 1×1 shortcut and batch norms, an
/// identity block, and a one-convolution block.
#[test]
fn a_residual_block_is_its_two_paths_summed() {
    let bn = |f: usize| format!(r#"{{"layer": "batch_norm", "features": {f}, "eps": 1e-5}}"#);
    let cases = [
        (
            vec![
                conv(4, 6, [3, 3], 2, [1, 1], 1, "zeros"),
                bn(6),
                RELU.into(),
                conv(6, 6, [3, 3], 1, [1, 1], 1, "reflect"),
                bn(6),
            ],
            vec![no_bias(conv(4, 6, [1, 1], 2, [0, 0], 1, "zeros")), bn(6)],
        ),
        (
            vec![
                conv(4, 5, [3, 3], 1, [1, 1], 1, "zeros"),
                RELU.into(),
                conv(5, 5, [5, 5], 1, [2, 2], 1, "zeros"),
                RELU.into(),
                conv(5, 4, [3, 3], 1, [2, 2], 2, "replicate"),
            ],
            vec![],
        ),
        (vec![conv(4, 4, [3, 3], 1, [1, 1], 1, "zeros")], vec![]),
        // Any layers that keep the shape: an uneven kernel.
        (vec![conv(4, 4, [3, 1], 1, [1, 0], 1, "zeros")], vec![]),
    ];
    let input = r#"{"kind": "image", "channels": 4, "height": 6, "width": 6}"#;
    for (main, short) in cases {
        let block =
            format!(r#"{{"layer": "residual", "main": [{}], "shortcut": [{}]}}"#, main.join(", "), short.join(", "));
        let whole: Architecture =
            serde_json::from_str(&format!(r#"{{"input": {input}, "layers": [{block}, {FLATTEN}]}}"#)).unwrap();
        let mut tensors = Tensors::new();
        fill(&serde_json::to_value(&whole.layers).unwrap(), "", &mut tensors);
        let part = |layers: &[String], prefix: &str| -> Network {
            let mut l = layers.to_vec();
            l.push(FLATTEN.into());
            let arch: Architecture =
                serde_json::from_str(&format!(r#"{{"input": {input}, "layers": [{}]}}"#, l.join(", "))).unwrap();
            let own = tensors.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())));
            Network::from_architecture(&arch, own.collect()).unwrap()
        };
        let net = Network::from_architecture(&whole, tensors.clone()).unwrap();
        let x = draw(5 * 144, 21, 1.0);
        let y = net.forward_batch(&x, 5);
        let m = part(&main, "0.main.").forward_batch(&x, 5);
        let s = if short.is_empty() { x.clone() } else { part(&short, "0.shortcut.").forward_batch(&x, 5) };
        let gap = y.iter().zip(m.iter().zip(&s)).map(|(y, (m, s))| (y - (m + s)).abs()).fold(0.0f32, f32::max);
        assert!(gap < 1e-5, "{block}: {gap}");
    }
    // Paths of two shapes are refused in one line, and so is a block
    // before the first linear layer (the ticket's operations follow pairs).
    let bad = format!(
        r#"{{"input": {input}, "layers": [{{"layer": "residual", "main": [{}], "shortcut": []}}, {FLATTEN}]}}"#,
        conv(4, 4, [3, 1], 1, [0, 0], 1, "zeros")
    );
    let arch: Architecture = serde_json::from_str(&bad).unwrap();
    let mut tensors = Tensors::new();
    fill(&serde_json::to_value(&arch.layers).unwrap(), "", &mut tensors);
    let e = Network::from_architecture(&arch, tensors).unwrap_err();
    assert_eq!(
        e,
        "layer 0 (residual): the main path gives 4 channels of 4×6 maps but the shortcut 4 channels of 6×6 maps"
    );
    let first = format!(
        r#"{{"input": {input}, "layers": [{{"layer": "residual", "main": [{}], "shortcut": []}}, {FLATTEN}]}}"#,
        conv(4, 4, [3, 3], 1, [1, 1], 1, "zeros")
    );
    let arch: Architecture = serde_json::from_str(&first).unwrap();
    let mut tensors = Tensors::new();
    fill(&serde_json::to_value(&arch.layers).unwrap(), "", &mut tensors);
    let e = Network::from_architecture(&arch, tensors).unwrap().structure().unwrap_err();
    assert_eq!(e, "layer 0 (fork) comes before the first linear layer");
}
