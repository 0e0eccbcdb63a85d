//! The certificate of convolutional and set tickets recomputed
//! independently (docs/THEORY.md §6, "Equivariant layers"): every basis
//! element written out here as a dense matrix from its definition in the
//! docs (a circular shift by (a − p, b − p); the identity and J/N), the
//! approximations read back from a ticket file's kept edges, norms by SVD
//! (nalgebra), and the recursion with its pooling factor 1/√P and input
//! radius √(1 + P) redone here. sslth's bound must match; a version without
//! the pooling factor or with one basis element left out must not, so this
//! test would catch either. The bound must also hold: above the recursion
//! on exact operator norms, and above the error measured at random points
//! of the unit sphere and at points found by gradient ascent.

use nalgebra::DMatrix;
use sslth::construction::{approximations, augmented_layers, build, plan, BuildConfig, Sizing, Tolerance};
use sslth::net::{BasisSpec, ConvWeights, LinearWeights, Network, SetWeights};
use sslth::ticket::SparseNet;
use sslth::weights::uniform_weight;

fn draw(n: usize, stream: u64) -> Vec<f32> {
    (0..n).map(|i| (0.5 * uniform_weight(41, stream, i as u64)) as f32).collect()
}

fn head(d_in: usize) -> Vec<LinearWeights> {
    vec![LinearWeights { d_in, d_out: 3, weight: draw(3 * d_in, 50), bias: Some(draw(3, 51)) }]
}

/// Basis element q on P points, from the docs.
fn element(spec: BasisSpec, q: usize, p: usize) -> DMatrix<f64> {
    match spec {
        BasisSpec::Identity => DMatrix::identity(1, 1),
        BasisSpec::Deepsets if q == 0 => DMatrix::identity(p, p),
        BasisSpec::Deepsets => DMatrix::from_element(p, p, 1.0 / p as f64),
        BasisSpec::Conv2d { kernel: k, height: h, width: w } => {
            let (a, b, c) = (q / k, q % k, k / 2);
            DMatrix::from_fn(h * w, h * w, |out, inp| {
                let (i, j) = (out / w, out % w);
                let src = ((i + a + h - c) % h) * w + (j + b + w - c) % w;
                f64::from(u8::from(inp == src))
            })
        }
        BasisSpec::Conv(_) => unreachable!("tickets have no general convolutions"),
    }
}

fn sigma(m: &DMatrix<f64>) -> f64 {
    m.singular_values().iter().cloned().fold(0.0, f64::max)
}

/// Block q (`[rows, cols]`) of coefficients stacked `[q][o][j]`.
fn block(v: &[f64], q: usize, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_row_slice(rows, cols, &v[q * rows * cols..(q + 1) * rows * cols])
}

/// Per layer: (Σ_q ‖b_q‖·σ(C_q), Σ_q ‖b_q‖·σ([E⁺_q E⁻_q]), exact σ of the
/// whole layer, exact σ of its whole error, points pooled after it),
/// `skip` leaving basis element `skip` out of the sums (a wrong variant).
struct LayerNorms {
    target: f64,
    error: f64,
    exact_target: f64,
    exact_error: f64,
    pool: Option<usize>,
}

fn norms(net: &Network, approx: &[[Vec<f64>; 2]], skip: Option<usize>) -> Vec<LayerNorms> {
    let pool_after = net.structure().unwrap().pool_after();
    let mut points = net.points;
    let mut out = Vec::new();
    for (i, (l, [pos, neg])) in augmented_layers(net, false).unwrap().iter().zip(approx).enumerate() {
        let c = &l.coefficients;
        let (rows, cols, spec) = (c.d_out, c.d_in, l.basis.spec());
        let nonneg = |j: usize| i > 0 || (net.has_bias() && j == cols - 1);
        let e_pos: Vec<f64> = c.values.iter().zip(pos).map(|(t, a)| t - a).collect();
        let e_neg: Vec<f64> = c
            .values
            .iter()
            .zip(neg)
            .enumerate()
            .map(|(t, (v, a))| if nonneg(t % cols) { 0.0 } else { v - a })
            .collect();
        let (mut target, mut error) = (0.0, 0.0);
        let mut whole = DMatrix::<f64>::zeros(rows * points, cols * points);
        let mut whole_err = DMatrix::<f64>::zeros(rows * points, 2 * cols * points);
        for q in (0..c.basis).filter(|&q| Some(q) != skip) {
            let b = element(spec, q, points);
            let (cq, ep, en) =
                (block(&c.values, q, rows, cols), block(&e_pos, q, rows, cols), block(&e_neg, q, rows, cols));
            let joint = DMatrix::from_fn(rows, 2 * cols, |o, j| if j < cols { ep[(o, j)] } else { en[(o, j - cols)] });
            target += sigma(&b) * sigma(&cq);
            error += sigma(&b) * sigma(&joint);
            whole += cq.kronecker(&b);
            let (kp, kn) = (ep.kronecker(&b), en.kronecker(&b));
            for r in 0..rows * points {
                for s in 0..cols * points {
                    whole_err[(r, s)] += kp[(r, s)];
                    whole_err[(r, cols * points + s)] += kn[(r, s)];
                }
            }
        }
        let pool = (pool_after == Some(i)).then_some(points);
        out.push(LayerNorms { target, error, exact_target: sigma(&whole), exact_error: sigma(&whole_err), pool });
        if pool.is_some() {
            points = 1;
        }
    }
    out
}

/// The recursion of §6: e ← ‖C‖e + ‖E‖(F + e), F ← ‖C‖F, both divided by
/// √P at a pooling (unless `no_pool`).
fn recursion(layers: &[LayerNorms], radius: f64, exact: bool, no_pool: bool) -> f64 {
    let (mut f, mut e) = (radius, 0.0);
    for l in layers {
        let (c, err) = if exact { (l.exact_target, l.exact_error) } else { (l.target, l.error) };
        e = c * e + err * (f + e);
        f *= c;
        if let (Some(p), false) = (l.pool, no_pool) {
            e /= (p as f64).sqrt();
            f /= (p as f64).sqrt();
        }
    }
    e
}

fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>().sqrt()
}

/// The largest ‖f(x) − g(x)‖ seen at random points of the unit sphere and
/// after a few steps of normalised finite-difference gradient ascent from
/// the best of them, kept on the sphere.
fn measured(target: &Network, ticket: &SparseNet) -> f64 {
    let d = target.d_in();
    let err = |x: &[f32]| l2(&target.forward(x), &ticket.forward_batch(x, 1));
    let unit = |v: Vec<f64>| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter().map(|x| (x / n) as f32).collect::<Vec<f32>>()
    };
    let mut best = (0.0, vec![0.0f32; d]);
    for t in 0..200u64 {
        let x = unit((0..d).map(|i| uniform_weight(61, t, i as u64)).collect());
        let e = err(&x);
        if e > best.0 {
            best = (e, x);
        }
    }
    let mut x = best.1.clone();
    for step in 0..20 {
        let base = err(&x);
        let grad: Vec<f64> = (0..d)
            .map(|i| {
                let mut y = x.clone();
                y[i] += 1e-3;
                (err(&y) - base) / 1e-3
            })
            .collect();
        let rate = 0.2 / (1.0 + step as f64);
        x = unit(x.iter().zip(&grad).map(|(&v, g)| f64::from(v) + rate * g).collect());
        best.0 = f64::max(best.0, err(&x));
    }
    best.0
}

#[test]
fn equivariant_certificates_match_an_independent_recomputation_and_hold() {
    let convs = vec![
        ConvWeights { shape: vec![3, 2, 3, 3], weight: draw(54, 1), bias: Some(draw(3, 2)) },
        ConvWeights { shape: vec![4, 3, 3, 3], weight: draw(108, 3), bias: Some(draw(4, 4)) },
    ];
    let sets = vec![
        SetWeights { c_in: 3, c_out: 4, identity: draw(12, 5), mean: draw(12, 6), bias: Some(draw(4, 7)) },
        SetWeights { c_in: 4, c_out: 4, identity: draw(16, 8), mean: draw(16, 9), bias: Some(draw(4, 10)) },
    ];
    let targets = [
        ("cnn", Network::cnn(&convs, &head(4), 4, 5).unwrap()),
        ("deepsets", Network::deepsets(&sets, &head(4), 6).unwrap()),
    ];
    let dir = std::env::temp_dir().join(format!("sslth-cert-equi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, net) in targets {
        let cfg = BuildConfig {
            seed: 7,
            sizing: Sizing::Fixed { n: 12, k: 3 },
            tolerance: Tolerance::Weight(0.02),
            nonneg_input: false,
            scale: None,
            scale_quantile: None,
            accept_over_eps: false,
            accept_misses: true,
            walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
            subsets: sslth::ticket::SubsetOrder::Fewest,
        };
        let ticket = build(&net, &plan(&net, &cfg).unwrap(), cfg.seed, false, &|| true).unwrap();
        let cert = ticket.certificate(&net).unwrap();
        // Through a file: the approximations come from its kept edges.
        let path = dir.join(format!("{name}.safetensors"));
        std::fs::write(
            &path,
            sslth::files::full_bytes(&ticket.to_sparse(), &ticket.meta(&net, cert.bound, None, None)),
        )
        .unwrap();
        let loaded = sslth::files::read_ticket(&path).unwrap();
        let approx = approximations(&loaded.net, &loaded.meta).unwrap();
        let layers = norms(&net, &approx, None);
        let radius = (1.0 + net.points as f64).sqrt();
        let independent = recursion(&layers, radius, false, false);
        let rel = |w: f64| (w - cert.bound).abs() / cert.bound;
        assert!(rel(independent) < 1e-6, "{name}: sslth {} vs independent {independent}", cert.bound);
        assert!(rel(recursion(&layers, radius, false, true)) > 1e-3, "{name}: no pooling factor would pass");
        let last = |q: usize| norms(&net, &approx, Some(q));
        let size = loaded.meta.basis(0).size();
        assert!(rel(recursion(&last(size - 1), radius, false, false)) > 1e-3, "{name}: a dropped element would pass");
        assert!(rel(recursion(&layers, 1.0, false, false)) > 1e-3, "{name}: radius 1 would pass");
        // Sound: above the recursion on exact operator norms (each layer's
        // Σ_q ‖b_q‖·‖M_q‖ bounds its exact norm) and above what is measured.
        for (i, l) in layers.iter().enumerate() {
            assert!(l.exact_target <= l.target * (1.0 + 1e-9), "{name} layer {i}: {} > {}", l.exact_target, l.target);
            assert!(l.exact_error <= l.error * (1.0 + 1e-9), "{name} layer {i}: {} > {}", l.exact_error, l.error);
        }
        let exact = recursion(&layers, radius, true, false);
        assert!(exact <= cert.bound, "{name}: exact-norm recursion {exact} above the bound {}", cert.bound);
        let seen = measured(&net, &loaded.net);
        assert!(seen > 0.0 && seen <= exact, "{name}: measured {seen}, exact-norm bound {exact}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
