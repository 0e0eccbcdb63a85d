//! Equivariant tickets (docs/THEORY.md §4): a ticket of a convolutional or
//! set target is itself exactly equivariant, because pruning only removes
//! coefficients of an equivariant basis. Checked by shifting and permuting
//! inputs, through the files, against a control that must fail: a dense
//! ticket of the same layer written out as one matrix.

use sslth::construction::{build, certify_edges, check_target, plan, BuildConfig, Sizing, Ticket, Tolerance};
use sslth::files::{self, LoadedTicket};
use sslth::net::LinearWeights;
use sslth::net::{ConvWeights, Network, SetWeights};
use sslth::ticket::SparseNet;
use sslth::weights::uniform_weight;

const H: usize = 6;
const W: usize = 5;
const SET: usize = 7;

fn draw(n: usize, stream: u64) -> Vec<f32> {
    (0..n).map(|i| (0.4 * uniform_weight(21, stream, i as u64)) as f32).collect()
}

fn head(d_in: usize) -> Vec<LinearWeights> {
    vec![LinearWeights { d_in, d_out: 3, weight: draw(3 * d_in, 50), bias: Some(draw(3, 51)) }]
}

/// Two circular 3×3 convolutions 2 → 3 → 4 channels on 6×5 maps; with
/// `pool`, global average pooling and a dense head follow.
fn cnn(pool: bool) -> Network {
    let convs = vec![
        ConvWeights { shape: vec![3, 2, 3, 3], weight: draw(54, 1), bias: Some(draw(3, 2)) },
        ConvWeights { shape: vec![4, 3, 3, 3], weight: draw(108, 3), bias: Some(draw(4, 4)) },
    ];
    let mut net = Network::cnn(&convs, &head(4), H, W).unwrap();
    if !pool {
        // Drop the last ReLU, the pooling and the head: a map-to-map network.
        net.layers.truncate(3);
    }
    net
}

/// Two set layers 3 → 4 → 4 features on sets of 7; with `pool`, the mean
/// and a dense head follow.
fn deepsets(pool: bool) -> Network {
    let sets = vec![
        SetWeights { c_in: 3, c_out: 4, identity: draw(12, 5), mean: draw(12, 6), bias: Some(draw(4, 7)) },
        SetWeights { c_in: 4, c_out: 4, identity: draw(16, 8), mean: draw(16, 9), bias: Some(draw(4, 10)) },
    ];
    let mut net = Network::deepsets(&sets, &head(4), SET).unwrap();
    if !pool {
        net.layers.truncate(3);
    }
    net
}

fn ticket_of(net: &Network, eps: f64) -> Ticket {
    let cfg = BuildConfig {
        seed: 5,
        sizing: Sizing::Fixed { n: 24, k: 6 },
        tolerance: Tolerance::Weight(eps),
        nonneg_input: false,
        scale: None,
        scale_quantile: None,
        accept_over_eps: false,
        accept_misses: false,
        walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
        subsets: sslth::ticket::SubsetOrder::Fewest,
    };
    build(net, &plan(net, &cfg).unwrap(), cfg.seed, false, &|| true).unwrap()
}

/// Rows of `channels` × `points` inputs of both signs.
fn inputs(rows: usize, values: usize) -> Vec<f32> {
    (0..rows * values).map(|i| (0.3 * uniform_weight(99, 0, i as u64)) as f32).collect()
}

/// Circular shift by (s, t) of each channel's H×W map.
fn shift(x: &[f32], s: usize, t: usize) -> Vec<f32> {
    let p = H * W;
    (0..x.len()).map(|u| x[(u / p) * p + ((u % p / W + s) % H) * W + (u % W + t) % W]).collect()
}

/// The same permutation of the points of each channel.
fn permute(x: &[f32], perm: &[usize]) -> Vec<f32> {
    let n = perm.len();
    (0..x.len()).map(|u| x[(u / n) * n + perm[u % n]]).collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// A group action on one row (channels × points, channel-major).
type Action = Box<dyn Fn(&[f32]) -> Vec<f32>>;

/// The four circular shifts the tests apply.
fn shifts() -> Vec<Action> {
    [(1, 0), (0, 2), (4, 3), (5, 4)]
        .into_iter()
        .map(|(s, t)| Box::new(move |x: &[f32]| shift(x, s, t)) as Action)
        .collect()
}

/// The three permutations of the 7 set points the tests apply.
fn permutations() -> Vec<Action> {
    [[6usize, 0, 5, 1, 4, 2, 3], [1, 0, 2, 3, 4, 5, 6], [3, 4, 5, 6, 0, 1, 2]]
        .into_iter()
        .map(|perm| Box::new(move |x: &[f32]| permute(x, &perm)) as Action)
        .collect()
}

/// The worst |g(T x) − T g(x)| over rows and actions T, for map outputs
/// (or |g(T x) − g(x)| with `invariant`).
fn equivariance_error(g: &SparseNet, actions: &[Action], invariant: bool, rows: usize) -> f32 {
    let x = inputs(rows, g.d_in());
    let y = g.forward_batch(&x, rows);
    let per_row = y.len() / rows;
    let mut worst = 0.0f32;
    for act in actions {
        let xt: Vec<f32> = x.chunks(g.d_in()).flat_map(act).collect();
        let yt = g.forward_batch(&xt, rows);
        let want: Vec<f32> = if invariant { y.clone() } else { y.chunks(per_row).flat_map(act).collect() };
        worst = worst.max(max_diff(&yt, &want));
    }
    worst
}

/// A ticket written and read back, full and compact.
fn through_files(t: &Ticket, net: &Network, tag: &str) -> Vec<LoadedTicket> {
    let dir = std::env::temp_dir().join(format!("sslth-equi-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = t.certificate(net).unwrap();
    let meta = t.meta(net, cert.bound, None, None);
    assert_eq!(meta.version, 2);
    let sparse = t.to_sparse();
    let out = [("full", files::full_bytes(&sparse, &meta)), ("compact", files::compact_bytes(&sparse, &meta))]
        .into_iter()
        .map(|(name, bytes)| {
            let p = dir.join(format!("{name}.safetensors"));
            std::fs::write(&p, bytes).unwrap();
            let loaded = files::read_ticket(&p).unwrap();
            let v = files::verify(&loaded);
            assert!(v.mismatches == 0 && v.density_matches, "{tag} {name}: {v:?}");
            // The certificate, recomputed from the file's edges alone.
            let again = certify_edges(net, &loaded.net, &loaded.meta).unwrap().bound;
            assert!((again - cert.bound).abs() <= 1e-9 * cert.bound, "{tag} {name}: {again} vs {}", cert.bound);
            loaded
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

/// A ticket of `target` is equivariant to `actions` (invariant after
/// pooling) to 1e-6, approximates the target, and keeps both through full
/// and compact files.
fn check_equivariant_ticket(target: &Network, actions: &[Action], pool: bool, tag: &str) {
    let t = ticket_of(target, 1e-3);
    let g = t.to_sparse();
    let err = equivariance_error(&g, actions, pool, 8);
    assert!(err < 1e-6, "{tag}: equivariance error {err}");
    let x = inputs(8, target.d_in());
    let (f, gx) = (target.forward_batch(&x, 8), g.forward_batch(&x, 8));
    assert!(max_diff(&f, &gx) < 0.05, "{tag}: ticket error {}", max_diff(&f, &gx));
    for loaded in through_files(&t, target, tag) {
        assert_eq!(loaded.net.forward_batch(&x, 8), gx);
        assert!(equivariance_error(&loaded.net, actions, pool, 8) < 1e-6);
    }
}

#[test]
fn conv_tickets_commute_with_circular_shifts() {
    for pool in [false, true] {
        check_equivariant_ticket(&cnn(pool), &shifts(), pool, &format!("cnn{pool}"));
    }
}

#[test]
fn set_tickets_commute_with_permutations() {
    for pool in [false, true] {
        check_equivariant_ticket(&deepsets(pool), &permutations(), pool, &format!("sets{pool}"));
    }
}

/// The first conv layer as one dense matrix over the flattened maps.
fn flattened_conv() -> Vec<LinearWeights> {
    let net = cnn(false);
    let sslth::net::Layer::Equivariant(first) = &net.layers[0] else { panic!() };
    let (d_in, d_out) = (2 * H * W, 3 * H * W);
    let mut weight = vec![0.0f32; d_out * d_in];
    for col in 0..d_in {
        let mut e = vec![0.0f32; d_in];
        e[col] = 1.0;
        let one = Network { layers: vec![net.layers[0].clone()], channels: 2, points: H * W };
        let mut y = one.forward(&e);
        let b = first.bias.as_ref().unwrap();
        y.iter_mut().enumerate().for_each(|(r, v)| *v -= b[r / (H * W)]);
        for (row, v) in y.iter().enumerate() {
            weight[row * d_in + col] = *v;
        }
    }
    let bias = Some((0..d_out).map(|r| first.bias.as_ref().unwrap()[r / (H * W)]).collect());
    vec![LinearWeights { d_in, d_out, weight, bias }]
}

#[test]
fn a_ticket_does_not_check_against_another_kind_of_target() {
    let (conv, sets) = (cnn(true), deepsets(true));
    let meta = |net: &Network| {
        let t = ticket_of(net, 1e-2);
        t.meta(net, 1.0, None, None)
    };
    let e = check_target(&meta(&conv), &sets).unwrap_err();
    assert!(e.contains("basis mismatch") && e.contains("conv2d") && e.contains("deepsets"), "{e}");
    let mut other = meta(&conv);
    other.pool_after = None;
    assert!(check_target(&other, &conv).unwrap_err().contains("after pair"));
    check_target(&meta(&sets), &sets).unwrap();
}

#[test]
fn a_dense_ticket_of_the_flattened_conv_is_not_equivariant() {
    let flat = Network::mlp(&flattened_conv());
    // The flattened target itself is exactly the conv layer …
    let conv = cnn(false);
    let x = inputs(4, flat.d_in());
    let one = Network { layers: vec![conv.layers[0].clone()], channels: 2, points: H * W };
    assert!(max_diff(&flat.forward_batch(&x, 4), &one.forward_batch(&x, 4)) < 1e-5);
    // … but its dense ticket picks different random subsets for tied
    // weights, so shifting the input no longer shifts the output: the same
    // test the equivariant tickets pass fails by far more than 1e-6.
    let g = ticket_of(&flat, 1e-3).to_sparse();
    let err = equivariance_error(&g, &shifts(), false, 4);
    assert!(err > 1e-4, "the control passed: shift error {err}");
}
