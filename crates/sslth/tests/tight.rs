//! The tight certificate (docs/THEORY.md §6.2) against independent
//! oracles: the exact maximum of a linear map over the box's vertices,
//! the sign-trick algebra evaluated at every vertex and at random points
//! of the box, and an attack running only the networks' forward passes.

use sslth::construction::{
    augmented_layers, build, certified_share, certify_box, certify_rows, plan, BuildConfig, Sizing, Ticket,
    TightCertificate, Tolerance, DEFAULT_WALK_BUDGET,
};
use sslth::data::{Dataset, InputShape};
use sslth::experiments::attack::{attack, AttackConfig};
use sslth::net::{ConvWeights, LinearWeights, Network, SetWeights};
use sslth::weights::uniform_weight;

mod common;

fn draw(n: usize, stream: u64, scale: f64) -> Vec<f32> {
    (0..n).map(|i| (scale * uniform_weight(31, stream, i as u64)) as f32).collect()
}

/// Approximations (Ĉ⁺, Ĉ⁻) of each augmented layer: the target's
/// coefficients plus independent errors up to `err` (zeros stay zero).
fn perturbed(net: &Network, err: f64) -> Vec<[Vec<f64>; 2]> {
    augmented_layers(net, true)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let v = &layer.coefficients.values;
            let shake = |s: u64| -> Vec<f64> {
                v.iter()
                    .enumerate()
                    .map(|(i, &c)| if c == 0.0 { 0.0 } else { c + err * uniform_weight(7, s, i as u64) })
                    .collect()
            };
            [shake(2 * l as u64), shake(2 * l as u64 + 1)]
        })
        .collect()
}

fn refs(a: &[[Vec<f64>; 2]]) -> Vec<(&[f64], &[f64])> {
    a.iter().map(|[p, n]| (&p[..], &n[..])).collect()
}

/// What a ticket with these approximations computes at `x` (x ≥ 0), in f64
/// straight from the algebra: each layer Ĉ⁺ u (u ≥ 0 throughout), ReLU
/// between layers; dense layers only.
fn ticket_algebra(net: &Network, approx: &[[Vec<f64>; 2]], x: &[f64]) -> Vec<f64> {
    let layers = augmented_layers(net, true).unwrap();
    let mut u: Vec<f64> = x.to_vec();
    if net.has_bias() {
        u.push(1.0);
    }
    for (i, (l, [pos, _])) in layers.iter().zip(approx).enumerate() {
        let (d_out, d_in) = (l.coefficients.d_out, l.coefficients.d_in);
        let mut z: Vec<f64> = (0..d_out).map(|o| (0..d_in).map(|j| pos[o * d_in + j] * u[j]).sum()).collect();
        if i + 1 < layers.len() {
            z.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        u = z;
    }
    u
}

/// The target at `x`, in f64.
fn target_f64(mlp: &[LinearWeights], x: &[f64]) -> Vec<f64> {
    let mut u = x.to_vec();
    for (i, l) in mlp.iter().enumerate() {
        let mut z: Vec<f64> = (0..l.d_out)
            .map(|o| {
                let b = l.bias.as_ref().map_or(0.0, |b| f64::from(b[o]));
                b + (0..l.d_in).map(|j| f64::from(l.weight[o * l.d_in + j]) * u[j]).sum::<f64>()
            })
            .collect();
        if i + 1 < mlp.len() {
            z.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        u = z;
    }
    u
}

fn linf(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Every vertex of [0, hi]^d.
fn vertices(d: usize, hi: f64) -> Vec<Vec<f64>> {
    (0..1u32 << d).map(|bits| (0..d).map(|i| if bits >> i & 1 == 1 { hi } else { 0.0 }).collect()).collect()
}

#[test]
fn one_linear_layer_gets_the_exact_maximum_over_the_box() {
    let mlp = common::random_mlp(&[6, 4], 3, 0.8, true);
    let net = Network::mlp(&mlp);
    let approx = perturbed(&net, 0.05);
    let hi = 0.3;
    let cert = certify_box(&net, true, &refs(&approx), hi, f64::INFINITY, DEFAULT_WALK_BUDGET).unwrap();
    // A linear map's largest |value| over a box is at a vertex.
    let exact = vertices(6, hi)
        .iter()
        .map(|x| linf(&ticket_algebra(&net, &approx, x), &target_f64(&mlp, x)))
        .fold(0.0, f64::max);
    assert!(exact > 0.01, "the perturbation shows: {exact}");
    assert!((cert.bound - exact).abs() <= 1e-9 * (1.0 + exact), "{} vs exact {exact}", cert.bound);
    // So is each margin shift, the largest δ_o − δ_c.
    for c in 0..4 {
        for o in 0..4 {
            let pair = vertices(6, hi)
                .iter()
                .map(|x| {
                    let (g, f) = (ticket_algebra(&net, &approx, x), target_f64(&mlp, x));
                    (g[o] - f[o]) - (g[c] - f[c])
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let shift = cert.margin_shifts[c][o];
            assert!((shift - pair).abs() <= 1e-9 * (1.0 + pair.abs()), "({c}, {o}): {shift} vs exact {pair}");
        }
    }
}

/// The largest δ_o − δ_c (δ = g − f) over `points`, row c and column o.
fn pair_maxima(net: &Network, mlp: &[LinearWeights], approx: &[[Vec<f64>; 2]], points: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let outputs = mlp.last().unwrap().d_out;
    let mut worst = vec![vec![f64::NEG_INFINITY; outputs]; outputs];
    for x in points {
        let (g, f) = (ticket_algebra(net, approx, x), target_f64(mlp, x));
        for (c, row) in worst.iter_mut().enumerate() {
            for (o, w) in row.iter_mut().enumerate() {
                *w = w.max((g[o] - f[o]) - (g[c] - f[c]));
            }
        }
    }
    worst
}

#[test]
fn deeper_bounds_hold_at_every_vertex_and_at_random_points() {
    for (seed, widths) in [(1, vec![5, 7, 6, 3]), (2, vec![6, 9, 4]), (3, vec![4, 12, 12, 2])] {
        let mlp = common::random_mlp(&widths, seed, 0.9, true);
        let net = Network::mlp(&mlp);
        let approx = perturbed(&net, 0.1);
        let hi = 0.5;
        let cert = certify_box(&net, true, &refs(&approx), hi, f64::INFINITY, DEFAULT_WALK_BUDGET).unwrap();
        let d = widths[0];
        let mut points = vertices(d, hi);
        points.extend((0..2000u64).map(|t| (0..d).map(|i| hi * uniform_weight(11, t, i as u64).abs()).collect()));
        let worst =
            points.iter().map(|x| linf(&ticket_algebra(&net, &approx, x), &target_f64(&mlp, x))).fold(0.0, f64::max);
        assert!(worst <= cert.bound, "widths {widths:?}: found {worst} above the bound {}", cert.bound);
        // Tight enough to mean something: within 20× of what the points show.
        assert!(cert.bound <= 20.0 * worst, "widths {widths:?}: bound {} vs {worst}", cert.bound);
        // Every margin shift holds too, and cuts 2·bound somewhere.
        let pairs = pair_maxima(&net, &mlp, &approx, &points);
        let shifts = &cert.margin_shifts;
        for (c, row) in pairs.iter().enumerate() {
            for (o, &p) in row.iter().enumerate() {
                assert!(p <= shifts[c][o], "widths {widths:?}: δ_{o} − δ_{c} reached {p} above {}", shifts[c][o]);
            }
        }
        assert!(shifts.iter().flatten().any(|&s| s < 1.5 * cert.bound), "widths {widths:?}: {shifts:?}");
        // With no walk budget the deep ReLUs and the pairs are not walked:
        // a looser certificate that still holds.
        let unwalked = certify_box(&net, true, &refs(&approx), hi, f64::INFINITY, 0).unwrap();
        assert!(unwalked.bound >= cert.bound && worst <= unwalked.bound, "widths {widths:?}");
        for (c, row) in pairs.iter().enumerate() {
            for (o, &p) in row.iter().enumerate() {
                assert!(p <= shifts[c][o] && shifts[c][o] <= unwalked.margin_shifts[c][o], "widths {widths:?}");
            }
        }
        let tighter = shifts.iter().flatten().zip(unwalked.margin_shifts.iter().flatten()).any(|(a, b)| a < b);
        assert!(tighter, "widths {widths:?}: walking the pairs tightens some shift");
        // The ball bound caps it, and the shifts at twice it.
        let capped = certify_box(&net, true, &refs(&approx), hi, 0.5 * worst, DEFAULT_WALK_BUDGET).unwrap();
        assert_eq!(capped.bound, 0.5 * worst);
        assert!(capped.margin_shifts.iter().flatten().all(|&s| s <= worst));
    }
}

fn data_box(dim: usize, shape: InputShape, hi: f64) -> Dataset {
    let rows = 24;
    let inputs = (0..rows * dim).map(|i| (hi * uniform_weight(13, 0, i as u64).abs()) as f32).collect();
    Dataset { inputs, labels: vec![0; rows], dim, scale: 1.0, input_max: hi, name: "test", shape }
}

fn small_ticket(net: &Network) -> Ticket {
    let cfg = BuildConfig {
        seed: 5,
        sizing: Sizing::Fixed { n: 12, k: 3 },
        tolerance: Tolerance::Weight(0.02),
        nonneg_input: true,
        scale: None,
        scale_quantile: None,
        accept_over_eps: false,
        accept_misses: true,
        walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
        subsets: sslth::ticket::SubsetOrder::Fewest,
    };
    build(net, &plan(net, &cfg).unwrap(), cfg.seed, true, &|| true).unwrap()
}

/// Dense, convolutional and set targets with real tickets: the attack, which
/// runs only forward passes, never beats the bound, and the bound stays
/// below the §6 one.
fn attacked(net: &Network, shape: InputShape) -> (TightCertificate, f64) {
    let t = small_ticket(net);
    let ball = t.certificate(net).unwrap().bound;
    let hi = 0.4;
    let cert = t.tight_certificate(net, hi, ball, DEFAULT_WALK_BUDGET).unwrap();
    assert!(cert.bound <= ball);
    let data = data_box(net.d_in(), shape, hi);
    let cfg = AttackConfig { starts: 8, steps: 15, seed: 1 };
    let found = attack(net, &t.to_sparse(), &data, &cfg, &|| true).unwrap();
    assert!(found.input.iter().all(|&v| (0.0..=hi as f32).contains(&v)), "the attack stays in the box");
    assert!(found.within(&cert), "attack found {} above the bound {}", found.best_error, cert.bound);
    (cert, found.best_error)
}

#[test]
fn attacks_stay_under_the_bound_for_every_layer_kind() {
    let mlp = Network::mlp(&common::random_mlp(&[10, 12, 4], 4, 0.7, true));
    let (cert, found) = attacked(&mlp, InputShape::Image { channels: 1, height: 2, width: 5 });
    assert!(found > 0.0 && cert.layer_bounds.len() == 2);
    let head = vec![LinearWeights { d_in: 4, d_out: 3, weight: draw(12, 50, 0.5), bias: Some(draw(3, 51, 0.5)) }];
    let convs = vec![
        ConvWeights { shape: vec![3, 1, 3, 3], weight: draw(27, 1, 0.5), bias: Some(draw(3, 2, 0.5)) },
        ConvWeights { shape: vec![4, 3, 3, 3], weight: draw(108, 3, 0.5), bias: Some(draw(4, 4, 0.5)) },
    ];
    let cnn = Network::cnn(&convs, &head, 4, 4).unwrap();
    attacked(&cnn, InputShape::Image { channels: 1, height: 4, width: 4 });
    let sets = vec![
        SetWeights { c_in: 2, c_out: 4, identity: draw(8, 5, 0.5), mean: draw(8, 6, 0.5), bias: Some(draw(4, 7, 0.5)) },
        SetWeights { c_in: 4, c_out: 4, identity: draw(16, 8, 0.5), mean: draw(16, 9, 0.5), bias: None },
    ];
    let ds = Network::deepsets(&sets, &head, 5).unwrap();
    attacked(&ds, InputShape::Set { features: 2, points: 5 });
}

#[test]
fn a_certificate_below_what_the_attack_finds_is_refused() {
    // A wrong certificate: computed as if the ticket were the target itself.
    let mlp = common::random_mlp(&[10, 12, 4], 4, 0.7, true);
    let net = Network::mlp(&mlp);
    let t = small_ticket(&net);
    let exact: Vec<[Vec<f64>; 2]> = augmented_layers(&net, true)
        .unwrap()
        .iter()
        .map(|l| [l.coefficients.values.clone(), l.coefficients.values.clone()])
        .collect();
    let wrong = certify_box(&net, true, &refs(&exact), 0.4, f64::INFINITY, DEFAULT_WALK_BUDGET).unwrap();
    assert!(wrong.bound < 1e-6, "{}", wrong.bound);
    let data = data_box(10, InputShape::Image { channels: 1, height: 2, width: 5 }, 0.4);
    let found = attack(&net, &t.to_sparse(), &data, &AttackConfig { starts: 8, steps: 15, seed: 1 }, &|| true).unwrap();
    assert!(!found.within(&wrong), "the attack found {} against a false bound {}", found.best_error, wrong.bound);
    // A true bound with one false margin shift: just below what the attack
    // saw of that pair.
    let mut right = t.tight_certificate(&net, 0.4, f64::INFINITY, DEFAULT_WALK_BUDGET).unwrap();
    assert!(found.within(&right), "{found:?} against {right:?}");
    right.margin_shifts[1][2] = found.margin_shifts[1][2] - 0.01;
    assert!(!found.within(&right), "a false shift passes");
}

/// On a ticket of two inputs the largest error over the box is found by
/// a grid of 301 × 301 points (an independent search: forward passes
/// only); the attack, from a handful of starts, comes within 1% of it.
#[test]
fn the_attack_reaches_the_largest_error_a_fine_grid_finds() {
    let net = Network::mlp(&common::random_mlp(&[2, 10, 8, 3], 11, 0.9, true));
    let t = small_ticket(&net);
    let sparse = t.to_sparse();
    let hi = 0.6f32;
    let side = 301;
    let grid: Vec<f32> = (0..side * side)
        .flat_map(|i| [hi * (i / side) as f32 / (side - 1) as f32, hi * (i % side) as f32 / (side - 1) as f32])
        .collect();
    let (f, g) = (net.forward_batch(&grid, side * side), sparse.forward_batch(&grid, side * side));
    let on_grid = f.iter().zip(&g).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
    let data = data_box(2, InputShape::Image { channels: 1, height: 1, width: 2 }, f64::from(hi));
    let found = attack(&net, &sparse, &data, &AttackConfig { starts: 8, steps: 40, seed: 2 }, &|| true).unwrap();
    assert!(found.best_error >= 0.99 * on_grid, "attack {} against the grid's {on_grid}", found.best_error);
    assert!(found.best_error > found.test_rows_error, "the ascent adds to the test rows");
}

/// Local certificates: a ball that covers the whole box gets the whole
/// box's bound exactly; on a certified row's ball, target and ticket give
/// the row's class at every point tried (corners of the ball and random
/// points of it); a smaller ball certifies at least as often here.
#[test]
fn local_certificates_hold_on_their_balls() {
    let net = Network::mlp(&common::random_mlp(&[6, 10, 3], 21, 0.9, true));
    let t = small_ticket(&net);
    let sparse = t.to_sparse();
    let approx = t.approximations();
    let hi = 0.5;
    let data = data_box(6, InputShape::Image { channels: 1, height: 2, width: 3 }, hi);
    let whole = certify_box(&net, true, &approx, hi, f64::INFINITY, DEFAULT_WALK_BUDGET).unwrap();
    let all = certify_rows(&net, true, &approx, &data, 1.0, DEFAULT_WALK_BUDGET, &|| true).unwrap().unwrap();
    assert_eq!(all.median_bound, whole.interval_bound);
    let r = 0.05;
    let local = certify_rows(&net, true, &approx, &data, r, DEFAULT_WALK_BUDGET, &|| true).unwrap().unwrap();
    assert!(local.certified > 0 && local.certified >= all.certified, "{local:?}");
    assert_eq!(local.rows, data.len());
    for (row, _) in local.per_row.iter().enumerate().filter(|(_, &ok)| ok) {
        let x = data.input(row);
        let class = |out: &[f32]| (0..out.len()).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap();
        let c = class(&net.forward_batch(x, 1));
        for s in 0..64u64 {
            let point: Vec<f32> = (0..6)
                .map(|i| {
                    let u = uniform_weight(17 + s, row as u64, i as u64) as f32;
                    let step = if s < 32 { u.signum() * r as f32 } else { u * r as f32 };
                    (x[i] + step).clamp(0.0, hi as f32)
                })
                .collect();
            assert_eq!(class(&net.forward_batch(&point, 1)), c, "row {row}: the target changes class");
            assert_eq!(class(&sparse.forward_batch(&point, 1)), c, "row {row}: the ticket changes class");
        }
    }
    assert!(certify_rows(&net, true, &approx, &data, -1.0, DEFAULT_WALK_BUDGET, &|| true).is_err());
}

/// A ticket far from its target (errors up to 1.5 on weights near 0.9;
/// its algebra evaluated in f64), so that the target's class on a ball
/// says little of the ticket's: on each certified row's ball both keep
/// the row's class at every point tried, and a quarter of the rows is
/// certified.
#[test]
fn local_certificates_hold_for_a_ticket_far_from_its_target() {
    let mlp = common::random_mlp(&[6, 10, 3], 21, 0.9, true);
    let net = Network::mlp(&mlp);
    let approx = perturbed(&net, 1.5);
    let hi = 0.5;
    let data = data_box(6, InputShape::Image { channels: 1, height: 2, width: 3 }, hi);
    let r = 0.05;
    let local = certify_rows(&net, true, &refs(&approx), &data, r, DEFAULT_WALK_BUDGET, &|| true).unwrap().unwrap();
    assert!(local.certified >= data.len() / 4, "{local:?}");
    let class = |out: &[f64]| (0..out.len()).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap();
    for (row, _) in local.per_row.iter().enumerate().filter(|(_, &ok)| ok) {
        let x: Vec<f64> = data.input(row).iter().map(|&v| f64::from(v)).collect();
        let c = class(&target_f64(&mlp, &x));
        for s in 0..256u64 {
            let point: Vec<f64> = (0..6)
                .map(|i| {
                    let u = uniform_weight(19 + s, row as u64, i as u64);
                    let step = if s < 128 { u.signum() * r } else { u * r };
                    (x[i] + step).clamp(0.0, hi)
                })
                .collect();
            assert_eq!(class(&target_f64(&mlp, &point)), c, "row {row}: the target changes class");
            assert_eq!(class(&ticket_algebra(&net, &approx, &point)), c, "row {row}: the ticket changes class");
        }
    }
}

#[test]
fn certified_share_counts_margins_above_their_shifts() {
    // Margins 3, 0.5, 1.0 (tie broken by the second) and 0.
    let outputs = [4.0f32, 1.0, 0.0, 2.0, 2.5, 0.0, 1.0, 0.0, 2.0, 5.0, 5.0, 1.0];
    let twice = |bound: f64| move |_: usize, _: usize| 2.0 * bound;
    assert_eq!(certified_share(&outputs, 3, twice(0.4)), 2.0 / 4.0);
    assert_eq!(certified_share(&outputs, 3, twice(0.5)), 1.0 / 4.0);
    assert_eq!(certified_share(&outputs, 3, twice(0.0)), 3.0 / 4.0);
    assert_eq!(certified_share(&outputs, 3, twice(2.0)), 0.0);
    // Each row is judged by its own class's shifts against each other
    // output: only the row of class 2 passes the first, only class 0's
    // the second (its margins 3 and 4 over shifts 0.9; class 1's 0.5 and
    // class 2's 1.0 are below 10 over output 0).
    assert_eq!(certified_share(&outputs, 3, |c, _| if c == 2 { 0.0 } else { 5.0 }), 1.0 / 4.0);
    assert_eq!(certified_share(&outputs, 3, |_, o| if o == 0 { 10.0 } else { 0.9 }), 1.0 / 4.0);
}
