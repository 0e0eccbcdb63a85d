//! The dense construction checked against independent computations: the
//! regenerated random network, the algebra it should compute, the
//! certificate, and exact counts.

use sslth::construction::{augmented_layers, build, plan, BuildConfig, Sizing, Ticket, Tolerance};
use sslth::experiments::pipeline::build_and_measure;
use sslth::net::LinearWeights;
use sslth::net::Network;
use sslth::ticket::SubsetOrder;
use sslth::weights::uniform_weight;

mod common;

/// A small random MLP: 6-5-4-3.
fn small_mlp(seed: u64, bias: bool) -> Vec<LinearWeights> {
    common::random_mlp(&[6, 5, 4, 3], seed, 0.6, bias)
}

fn config(n: usize, k: usize) -> BuildConfig {
    BuildConfig {
        seed: 9,
        sizing: Sizing::Fixed { n, k },
        tolerance: Tolerance::Weight(1e-3),
        nonneg_input: false,
        scale: None,
        scale_quantile: None,
        accept_over_eps: false,
        accept_misses: false,
        walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
        subsets: sslth::ticket::SubsetOrder::Fixed,
    }
}

fn build_ticket(mlp: &[LinearWeights], cfg: &BuildConfig) -> Ticket {
    let net = Network::mlp(mlp);
    let plans = plan(&net, cfg).unwrap();
    build(&net, &plans, cfg.seed, cfg.nonneg_input, &|| true).unwrap()
}

/// A point of the unit ball with coordinates of both signs.
fn ball_point(t: u64, d: usize) -> Vec<f32> {
    let v: Vec<f64> = (0..d).map(|i| uniform_weight(77, t, i as u64)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let r = uniform_weight(78, t, 0).abs();
    v.iter().map(|x| (x / norm * r) as f32).collect()
}

#[test]
fn kept_weights_are_the_random_network_and_subsets_have_size_k_or_another_allowed() {
    let mlp = small_mlp(1, true);
    let (n, k) = (16, 4);
    let t = build_ticket(&mlp, &config(n, k));
    // Instances of another size, and of size κ = min(k, m).
    let mut sizes = [0usize; 2];
    let layers = augmented_layers(&Network::mlp(&mlp), false).unwrap();
    for (i, (p, l)) in t.pairs.iter().zip(&layers).enumerate() {
        let (c, nonneg) = (&l.coefficients, &l.nonneg);
        let hidden = 2 * n * c.d_in;
        assert_eq!(p.hidden(), hidden);
        let a_of = |h: usize| uniform_weight(9, 2 * i as u64, (h * c.d_in + h / (2 * n)) as u64) as f32;
        for &(h, v) in &p.a {
            assert_eq!(v, a_of(h as usize), "A edge of neuron {h}");
        }
        let mut per_instance = std::collections::HashMap::new();
        for &(r, h, v) in &p.b {
            let expect =
                (uniform_weight(9, 2 * i as u64 + 1, r as u64 * hidden as u64 + h as u64) * p.size.scale) as f32;
            assert_eq!(v, expect, "B edge ({r}, {h})");
            let j = h as usize / (2 * n);
            let side = usize::from(a_of(h as usize) < 0.0);
            *per_instance.entry((r, j, side)).or_insert(0) += 1;
            // Every kept B edge leaves a neuron whose A edge is kept.
            assert!(p.a.binary_search_by_key(&h, |e| e.0).is_ok());
        }
        for r in 0..c.rows() {
            for (j, &nn) in nonneg.iter().enumerate() {
                for side in 0..2 {
                    let built = c.values[r * c.d_in + j] != 0.0 && (side == 0 || !nn);
                    let got = per_instance.get(&(r as u32, j, side)).copied().unwrap_or(0);
                    // k edges, or another size when no k-subset is within
                    // tolerance (docs/THEORY.md §3.2, "Which size").
                    let m = (j * 2 * n..(j + 1) * 2 * n).filter(|&h| (a_of(h) < 0.0) == (side == 1)).count();
                    let allowed: Vec<usize> =
                        if built { sslth::ticket::subsets::sizes(SubsetOrder::Fixed, k, m).collect() } else { vec![0] };
                    assert!(allowed.contains(&got), "layer {i} row {r} input {j} side {side}: {got} edges");
                    sizes[usize::from(got == k.min(m))] += usize::from(built);
                }
            }
        }
        assert_eq!(p.random_edges(), (hidden * c.d_in + c.rows() * hidden) as u64);
    }
    // At this fixed small n both occur; most keep κ.
    assert!(sizes[1] > sizes[0] && sizes[0] > 0, "{sizes:?}");
    let kept: u64 = t.pairs.iter().map(|p| (p.a.len() + p.b.len()) as u64).sum();
    assert_eq!(t.kept_edges(), kept);
    assert!((t.density() - kept as f64 / t.random_edges() as f64).abs() < 1e-15);
}

/// `--subsets fewest`: every instance keeps a subset within tolerance of
/// its coefficient, and no smaller subset of its side is (checked by brute
/// force over the regenerated products), so the ticket keeps fewer edges
/// than the fixed order's.
#[test]
fn fewest_keeps_the_smallest_subset_within_tolerance() {
    let mlp = small_mlp(1, true);
    let (n, k, eps) = (16, 4, 1e-2);
    let with = |subsets| BuildConfig { subsets, tolerance: Tolerance::Weight(eps), ..config(n, k) };
    let fewest = build_ticket(&mlp, &with(SubsetOrder::Fewest));
    let fixed = build_ticket(&mlp, &with(SubsetOrder::Fixed));
    assert!(fewest.kept_edges() < fixed.kept_edges(), "{} vs {}", fewest.kept_edges(), fixed.kept_edges());
    let layers = augmented_layers(&Network::mlp(&mlp), false).unwrap();
    let (mut by_size, mut misses) = ([0usize; 9], 0);
    for (i, (p, l)) in fewest.pairs.iter().zip(&layers).enumerate() {
        let c = &l.coefficients;
        let hidden = 2 * n * c.d_in;
        let a_of = |h: usize| f64::from(uniform_weight(9, 2 * i as u64, (h * c.d_in + h / (2 * n)) as u64) as f32);
        let b_of = |r: usize, h: usize| {
            f64::from((uniform_weight(9, 2 * i as u64 + 1, (r * hidden + h) as u64) * p.size.scale) as f32)
        };
        let mut kept: std::collections::HashMap<(usize, usize, bool), Vec<usize>> = Default::default();
        for &(r, h, _) in &p.b {
            let h = h as usize;
            kept.entry((r as usize, h / (2 * n), a_of(h) < 0.0)).or_default().push(h);
        }
        for r in 0..c.rows() {
            for j in 0..c.d_in {
                let target = c.values[r * c.d_in + j];
                for negative in [false, true].into_iter().take(if l.nonneg[j] { 1 } else { 2 }) {
                    let chosen = kept.get(&(r, j, negative)).cloned().unwrap_or_default();
                    if target == 0.0 {
                        assert!(chosen.is_empty());
                        continue;
                    }
                    let side: Vec<f64> = (j * 2 * n..(j + 1) * 2 * n)
                        .filter(|&h| (a_of(h) < 0.0) == negative && a_of(h) != 0.0)
                        .map(|h| a_of(h) * b_of(r, h))
                        .collect();
                    let sum: f64 = chosen.iter().map(|&h| a_of(h) * b_of(r, h)).sum();
                    let m = side.len();
                    // A miss (this fixed n is never raised) keeps the
                    // closest subset of any size; none of up to 2k serves.
                    let missed = (sum - target).abs() > eps * (1.0 + 1e-9);
                    let smaller = if missed { (2 * k).min(m) + 1 } else { chosen.len() };
                    misses += usize::from(missed);
                    by_size[chosen.len()] += usize::from(!missed);
                    for mask in 1u32..1 << m {
                        if (mask.count_ones() as usize) < smaller {
                            let s: f64 = (0..m).filter(|&t| mask >> t & 1 == 1).map(|t| side[t]).sum();
                            assert!((s - target).abs() >= eps * (1.0 - 1e-9), "layer {i} ({r}, {j}): a smaller subset");
                        }
                    }
                }
            }
        }
    }
    // Small subsets serve most coefficients.
    assert!(by_size[1] > 0 && by_size[2] > 0 && by_size[2] + by_size[3] > misses, "{by_size:?}, {misses} misses");
}

/// `scale_quantile`: each layer's scale is set by that quantile of its
/// |coefficients| (the quantile's own value, checked by sorting), the
/// quantile 1 is the default's ticket, and a lower one still brings every
/// weight within its tolerance (more samples where needed), keeping fewer
/// edges.
#[test]
fn a_scale_set_by_a_quantile_keeps_every_weight_within_tolerance() {
    // Weights up to 4, so that no scale is the floor of 1.
    let mlp = common::random_mlp(&[6, 5, 4, 3], 2, 4.0, true);
    let net = Network::mlp(&mlp);
    let sized = |q: Option<f64>| BuildConfig {
        sizing: Sizing::K(3),
        scale_quantile: q,
        ..BuildConfig::for_density(4, 0.1, 0.01)
    };
    let by_max = build_ticket(&mlp, &sized(None));
    assert_eq!(build_ticket(&mlp, &sized(Some(1.0))), by_max);
    let low = build_ticket(&mlp, &sized(Some(0.5)));
    assert!(low.kept_edges() < by_max.kept_edges(), "{} vs {}", low.kept_edges(), by_max.kept_edges());
    let layers = augmented_layers(&net, false).unwrap();
    for (i, (p, l)) in low.pairs.iter().zip(&layers).enumerate() {
        let mut m: Vec<f64> = l.coefficients.values.iter().filter(|&&v| v != 0.0).map(|v| v.abs()).collect();
        m.sort_by(f64::total_cmp);
        let median = m[((m.len() - 1) as f64 * 0.5).round() as usize];
        let expect = sslth::construction::scale_for(f64::from(median as f32), 3);
        assert!((p.size.scale - expect).abs() <= 1e-12 * expect, "layer {i}: {} vs {expect}", p.size.scale);
        assert!(1.0 < p.size.scale && p.size.scale < by_max.pairs[i].size.scale, "layer {i}: {}", p.size.scale);
        assert_eq!(p.misses, 0);
        assert!(p.max_weight_error <= 0.01 * (1.0 + 1e-9), "layer {i}: {}", p.max_weight_error);
    }
    for bad in [0.0, 1.5, f64::NAN] {
        let e = plan(&net, &sized(Some(bad))).unwrap_err().to_string();
        assert!(e.contains("scale_quantile"), "{e}");
    }
}

/// What the pairs compute by the sign trick: x ↦ Ĉ⁺x⁺ + Ĉ⁻x⁻, layer by
/// layer, from the approximations alone (no random network involved).
fn algebraic(t: &Ticket, x: &[f32]) -> Vec<f64> {
    let mut cur: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    if t.bias {
        cur.push(1.0);
    }
    for (i, p) in t.pairs.iter().enumerate() {
        let mut next = vec![0.0; p.d_out];
        for (o, y) in next.iter_mut().enumerate() {
            for (j, &v) in cur.iter().enumerate() {
                let c = if v >= 0.0 { p.approx_pos[o * p.d_in + j] } else { p.approx_neg[o * p.d_in + j] };
                *y += c * v;
            }
        }
        if i + 1 < t.pairs.len() {
            next.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        cur = next;
    }
    cur
}

#[test]
fn forward_pass_computes_the_sign_trick_algebra_and_meets_the_certificate() {
    for bias in [true, false] {
        let mlp = small_mlp(2, bias);
        let t = build_ticket(&mlp, &config(20, 5));
        let cert = t.certificate(&Network::mlp(&mlp)).unwrap();
        assert!(cert.bound.is_finite() && cert.bound > 0.0);
        let rows = 500;
        let xs: Vec<f32> = (0..rows).flat_map(|r| ball_point(r, 6)).collect();
        let g = t.to_sparse().forward_batch(&xs, rows as usize);
        let mut worst = 0.0f64;
        for r in 0..rows as usize {
            let x = &xs[r * 6..(r + 1) * 6];
            let alg = algebraic(&t, x);
            for (a, b) in alg.iter().zip(&g[r * 3..(r + 1) * 3]) {
                assert!((a - f64::from(*b)).abs() < 1e-4, "bias {bias}: {a} vs {b}");
            }
            let f = Network::mlp(&mlp).forward(x);
            let err = f.iter().zip(&g[r * 3..(r + 1) * 3]).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>().sqrt();
            worst = worst.max(err);
        }
        assert!(worst <= cert.bound, "measured {worst} above certified {}", cert.bound);
        assert!(worst > 0.0);
    }
}

#[test]
fn same_ticket_for_one_and_two_threads() {
    let mlp = small_mlp(3, true);
    let cfg = config(24, 6);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| build_ticket(&mlp, &cfg));
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(|| build_ticket(&mlp, &cfg));
    assert_eq!(one, two);
}

#[test]
fn weight_errors_within_tolerance_when_nothing_is_missed() {
    let mlp = small_mlp(4, true);
    let t = build_ticket(&mlp, &config(40, 10));
    for p in &t.pairs {
        assert_eq!(p.misses, 0);
        assert!(p.max_weight_error < 1e-3, "{}", p.max_weight_error);
    }
}

/// `--density` D is a ceiling: the pipeline's ticket never keeps more than
/// D of its random edges, also at D exactly the predicted density of some
/// k (where a ticket keeping a few more A edges than predicted would
/// exceed it), and it is the densest k that stays below: one more k, built
/// as planned (repairs only lower a density), would be denser than 0.9·D.
#[test]
fn sizing_takes_the_densest_k_within_the_requested_density() {
    // Seed 8's k = 2 ticket keeps 0.8323% where sizing predicts 0.8283%:
    // asked that, it is refused (k = 1 cannot be sized), not kept.
    for seed in [5, 8] {
        let net = Network::mlp(&small_mlp(seed, true));
        let predicted = |k: usize| {
            let plans = plan(&net, &BuildConfig { sizing: Sizing::K(k), ..config(0, 0) }).unwrap();
            let kept: u64 = plans.iter().map(|p| p.predicted_kept()).sum();
            kept as f64 / plans.iter().map(|p| p.random_edges()).sum::<u64>() as f64
        };
        let limits: Vec<f64> = (2..=5).map(predicted).collect();
        for density in [0.12, 0.15, 0.2].into_iter().chain(limits.clone()) {
            let cfg = BuildConfig { sizing: Sizing::Density(density), ..config(0, 0) };
            let built = match build_and_measure(&net, &cfg, None, None, |_| {}, &|| true) {
                Ok(built) => built,
                // Seed 8 at its k = 2 prediction: k = 1 cannot be sized.
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains("too low") && (seed, density) == (8, limits[0]), "seed {seed} {density}: {e}");
                    continue;
                }
            };
            let k = built.plans[0].size.k;
            assert!(built.plans.iter().all(|p| p.size.k == k));
            let got = built.ticket.density();
            assert!(got <= density, "seed {seed}: asked {density}, got {got} at k = {k}");
            let mut next = plan(&net, &BuildConfig { sizing: Sizing::K(k + 1), ..config(0, 0) }).unwrap();
            next.iter_mut().for_each(|p| p.repair = false);
            let next = build(&net, &next, cfg.seed, false, &|| true).unwrap();
            assert!(next.density() > 0.9 * density, "asked {density}: k = {} gives only {}", k + 1, next.density());
        }
    }
    let mlp = small_mlp(5, true);
    let net = Network::mlp(&mlp);
    let low = BuildConfig { sizing: Sizing::Density(1e-7), ..config(0, 0) };
    assert!(plan(&net, &low).unwrap_err().to_string().contains("too low"));
    let high = BuildConfig { sizing: Sizing::Density(0.9), ..config(0, 0) };
    let e = plan(&net, &high).unwrap_err().to_string();
    assert!(e.contains("too high"), "{e}");
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        let cfg = BuildConfig { sizing: Sizing::Density(bad), ..config(16, 4) };
        assert!(plan(&Network::mlp(&mlp), &cfg).unwrap_err().to_string().contains("density"), "{bad}");
    }
    let cfg = BuildConfig { tolerance: Tolerance::Weight(0.0), ..config(16, 4) };
    assert!(plan(&Network::mlp(&mlp), &cfg).unwrap_err().to_string().contains("eps"));
}

#[test]
fn nonneg_inputs_halve_the_first_layer() {
    let mlp = small_mlp(6, false);
    let full = build_ticket(&mlp, &config(16, 4));
    let half = build_ticket(&mlp, &BuildConfig { nonneg_input: true, ..config(16, 4) });
    // Layer 0 keeps exactly the full build's P side (the same instances
    // on the same products), none of its N side.
    let positive: std::collections::HashSet<u32> =
        full.pairs[0].a.iter().filter(|&&(_, a)| a > 0.0).map(|&(h, _)| h).collect();
    let p_side: Vec<_> = full.pairs[0].b.iter().filter(|e| positive.contains(&e.1)).copied().collect();
    assert!(p_side.len() < full.pairs[0].b.len());
    assert_eq!(half.pairs[0].b, p_side);
    assert_eq!(half.pairs[1..], full.pairs[1..]);
}

/// `--k` sizing: each layer's n is the smallest whose expected miss rate
/// is at most half of MISS_RATE. Building at that n (no repair) misses at
/// most three times MISS_RATE, as the README states (the calibration
/// simulates instances; the build solves the target's), and three quarters
/// of the samples miss clearly more. What a default build guarantees, no
/// miss at all, is `default_builds_leave_no_weight_outside_its_tolerance`.
#[test]
fn k_sizing_meets_its_miss_rate_when_built() {
    use sslth::construction::MISS_RATE;
    let mlp = common::random_mlp(&[40, 30, 10], 11, 0.3, true);
    let net = Network::mlp(&mlp);
    let missed = |t: &Ticket| t.pairs.iter().fold((0u64, 0u64), |(i, m), p| (i + p.instances, m + p.misses));
    for k in [2, 4] {
        let cfg = BuildConfig { sizing: Sizing::K(k), tolerance: Tolerance::Weight(1e-2), ..config(0, 0) };
        let mut plans = plan(&net, &cfg).unwrap();
        assert!(plans.iter().all(|p| p.size.k == k && p.repair));
        plans.iter_mut().for_each(|p| p.repair = false);
        let (instances, misses) = missed(&build(&net, &plans, cfg.seed, false, &|| true).unwrap());
        let rate = misses as f64 / instances as f64;
        assert!(rate <= 3.0 * MISS_RATE, "k = {k}: {misses} of {instances} missed");
        let fewer = (plans[0].size.n * 3 / 4).max(k);
        let smaller =
            BuildConfig { sizing: Sizing::Fixed { n: fewer, k }, tolerance: Tolerance::Weight(1e-2), ..config(0, 0) };
        let (i2, m2) = missed(&build(&net, &plan(&net, &smaller).unwrap(), cfg.seed, false, &|| true).unwrap());
        assert!(m2 as f64 / i2 as f64 > 2.0 * rate, "k = {k}: n {fewer} missed {m2} of {i2}");
    }
    let zero = BuildConfig { sizing: Sizing::K(0), ..config(0, 0) };
    assert!(plan(&net, &zero).unwrap_err().to_string().contains("at least 1"));
}

/// The effective weights of pair `i` of a dense ticket, recomputed from its
/// kept edges alone: Σ_h B[o, h]·A[h, j] over the hidden neurons h with
/// A[h, j] > 0 (the P side) and with A[h, j] < 0 (the N side), the first
/// layer's bias (the folded constant input) as column d_in.
fn effective_weights(t: &Ticket, i: usize) -> (Vec<f64>, Vec<f64>) {
    let sparse = t.to_sparse();
    let (a, b) = (&sparse.layers[2 * i], &sparse.layers[2 * i + 1]);
    let cols = t.pairs[i].d_in;
    let mut a_of = vec![Vec::new(); a.d_out];
    for ((&h, &j), &v) in a.rows.iter().zip(&a.cols).zip(&a.vals) {
        a_of[h as usize].push((j as usize, f64::from(v)));
    }
    if let Some(bias) = &a.bias {
        for (h, &v) in bias.iter().enumerate().filter(|(_, &v)| v != 0.0) {
            a_of[h].push((cols - 1, f64::from(v)));
        }
    }
    let (mut pos, mut neg) = (vec![0.0; b.d_out * cols], vec![0.0; b.d_out * cols]);
    for ((&o, &h), &w) in b.rows.iter().zip(&b.cols).zip(&b.vals) {
        for &(j, av) in &a_of[h as usize] {
            let side = if av > 0.0 { &mut pos } else { &mut neg };
            side[o as usize * cols + j] += f64::from(w) * av;
        }
    }
    (pos, neg)
}

/// A default build repairs its misses: the same sizing that misses when
/// built as planned ends with none, every target weight (and bias) within
/// its tolerance on every side that is built, recomputed from the kept
/// edges; an explicit (n, k) is not repaired, and the pipeline refuses its
/// misses unless told to accept them.
#[test]
fn default_builds_leave_no_weight_outside_its_tolerance() {
    let mlp = common::random_mlp(&[40, 30, 10], 11, 0.3, true);
    let net = Network::mlp(&mlp);
    let eps = 1e-2;
    let cfg = BuildConfig { sizing: Sizing::K(2), tolerance: Tolerance::Weight(eps), ..config(0, 0) };
    let mut plans = plan(&net, &cfg).unwrap();
    let repaired = build(&net, &plans, cfg.seed, false, &|| true).unwrap();
    plans.iter_mut().for_each(|p| p.repair = false);
    let as_planned = build(&net, &plans, cfg.seed, false, &|| true).unwrap();
    assert!(as_planned.pairs.iter().map(|p| p.misses).sum::<u64>() > 0, "the test needs a build that misses");
    for (i, (layer, pair)) in mlp.iter().zip(&repaired.pairs).enumerate() {
        assert_eq!(pair.misses, 0, "layer {i}");
        assert!(pair.size.n >= plans[i].size.n);
        let (pos, neg) = effective_weights(&repaired, i);
        let cols = pair.d_in;
        for o in 0..layer.d_out {
            for j in 0..cols {
                let w = if j < layer.d_in { layer.weight[o * layer.d_in + j] } else { layer.bias.as_ref().unwrap()[o] };
                let w = f64::from(w);
                assert!(
                    (pos[o * cols + j] - w).abs() < eps,
                    "layer {i} [{o}, {j}]: P side {} vs {w}",
                    pos[o * cols + j]
                );
                if i == 0 && j < layer.d_in {
                    assert!(
                        (neg[o * cols + j] - w).abs() < eps,
                        "layer {i} [{o}, {j}]: N side {} vs {w}",
                        neg[o * cols + j]
                    );
                }
            }
        }
    }
    // An explicit (n, k) small enough to miss: kept as built, refused.
    let small = BuildConfig { sizing: Sizing::Fixed { n: 4, k: 2 }, ..cfg.clone() };
    assert!(plan(&net, &small).unwrap().iter().all(|p| !p.repair));
    let e = build_and_measure(&net, &small, None, None, |_| {}, &|| true).unwrap_err();
    // A refusal: its counts as fields, its parameters named for each face.
    let sslth::Error::Refused { misses, worst, .. } = &e else { panic!("{e:?}") };
    assert!(*misses > 0 && *worst > 1.0, "{e:?}");
    assert!(e.to_string().contains("missed their tolerance") && e.to_string().contains("accept_misses"), "{e}");
    assert!(e.render(sslth::Face::Cli).contains("--accept-misses"), "{e}");
    let kept = build_and_measure(&net, &BuildConfig { accept_misses: true, ..small }, None, None, |_| {}, &|| true);
    assert!(kept.unwrap().instances().1 > 0);
}
