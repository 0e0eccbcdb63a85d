//! The certificate recomputed independently: from the bytes of a full
//! ticket file alone (read with the `safetensors` crate, not sslth's
//! reader), the approximations Ĉ± are rebuilt edge by edge, their errors
//! against the target are measured by a dense SVD (nalgebra), and the
//! recursion of docs/THEORY.md §6 is redone here. sslth's bound must match
//! to 1e-6 relative and never fall below; plausible wrong recursions must
//! not match, so this test would catch them.

use nalgebra::DMatrix;
use safetensors::SafeTensors;
use sslth::construction::{build, plan, BuildConfig, Sizing, Tolerance};
use sslth::net::LinearWeights;

mod common;

fn mlp(widths: &[usize], seed: u64) -> Vec<LinearWeights> {
    common::random_mlp(widths, seed, 0.7, true)
}

fn sigma_max(m: &DMatrix<f64>) -> f64 {
    m.singular_values().iter().cloned().fold(0.0, f64::max)
}

fn tensor<'a>(st: &'a SafeTensors<'a>, name: &str) -> &'a [u8] {
    st.tensor(name).unwrap_or_else(|_| panic!("missing {name}")).data()
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

fn i32s(b: &[u8]) -> Vec<i32> {
    b.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Per layer (σ(C), σ(E⁺), σ(E⁻), σ([E⁺ E⁻])) from the file and the target.
fn norms_from_file(bytes: &[u8], mlp: &[LinearWeights], nonneg_input: bool) -> Vec<[f64; 4]> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, header) = SafeTensors::read_metadata(bytes).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&header.metadata().as_ref().unwrap()["sslth"]).unwrap();
    let last = mlp.len() - 1;
    let mut out = Vec::new();
    for (i, l) in mlp.iter().enumerate() {
        let pair = &meta["pairs"][i];
        let n = pair["n"].as_u64().unwrap() as usize;
        // The augmented target, written out here from the docs: [W b] and,
        // but for the last layer, a row [0 … 0 1] carrying the constant.
        let (d_in, rows) = (l.d_in + 1, l.d_out + usize::from(i < last));
        assert_eq!((pair["d_in"].as_u64().unwrap() as usize, pair["rows"].as_u64().unwrap() as usize), (d_in, rows));
        let c = DMatrix::from_fn(rows, d_in, |o, j| match (o < l.d_out, j < l.d_in) {
            (true, true) => f64::from(l.weight[o * l.d_in + j]),
            (true, false) => f64::from(l.bias.as_ref().unwrap()[o]),
            (false, true) => 0.0,
            (false, false) => 1.0,
        });
        // A: neuron h reads input h / (2n) with weight a_h; in layer 0 the
        // constant input's edges are the stored bias.
        let hidden = 2 * n * d_in;
        let mut a = vec![0.0f64; hidden];
        let ai = i32s(tensor(&st, &format!("{}.indices", 4 * i)));
        let av = f32s(tensor(&st, &format!("{}.values", 4 * i)));
        for (e, &v) in ai.chunks_exact(2).zip(&av) {
            let (h, j) = (e[0] as usize, e[1] as usize);
            assert_eq!(j, h / (2 * n), "A edge ({h}, {j}) is not pointwise");
            a[h] = f64::from(v);
        }
        if i == 0 {
            for (h, &v) in f32s(tensor(&st, "0.bias")).iter().enumerate() {
                if v != 0.0 {
                    assert_eq!(h / (2 * n), d_in - 1);
                    a[h] = f64::from(v);
                }
            }
        }
        let mut pos = DMatrix::<f64>::zeros(rows, d_in);
        let mut neg = DMatrix::<f64>::zeros(rows, d_in);
        let bi = i32s(tensor(&st, &format!("{}.indices", 4 * i + 2)));
        let bv = f32s(tensor(&st, &format!("{}.values", 4 * i + 2)));
        for (e, &v) in bi.chunks_exact(2).zip(&bv) {
            let (r, h) = (e[0] as usize, e[1] as usize);
            let j = h / (2 * n);
            let side = if a[h] > 0.0 { &mut pos } else { &mut neg };
            side[(r, j)] += a[h] * f64::from(v);
        }
        // Channels that are never negative (after a ReLU, the constant, or
        // every input under --nonneg-input) have no N side: E⁻ = 0 there.
        // Exact zeros keep no edge and are exact.
        let e_pos = DMatrix::from_fn(rows, d_in, |o, j| if c[(o, j)] == 0.0 { 0.0 } else { c[(o, j)] - pos[(o, j)] });
        let e_neg = DMatrix::from_fn(rows, d_in, |o, j| {
            let nonneg = i > 0 || nonneg_input || j == d_in - 1;
            if nonneg || c[(o, j)] == 0.0 {
                0.0
            } else {
                c[(o, j)] - neg[(o, j)]
            }
        });
        let joint =
            DMatrix::from_fn(rows, 2 * d_in, |o, j| if j < d_in { e_pos[(o, j)] } else { e_neg[(o, j - d_in)] });
        out.push([sigma_max(&c), sigma_max(&e_pos), sigma_max(&e_neg), sigma_max(&joint)]);
    }
    out
}

/// The recursion, with knobs that turn it into plausible wrong versions.
fn recursion(norms: &[[f64; 4]], radius: f64, variant: &str) -> f64 {
    let (mut f, mut e) = (radius, 0.0);
    for [c, ep, en, joint] in norms.iter().copied() {
        let err = match variant {
            "max-of-sides" => ep.max(en),
            _ => joint,
        };
        e = match variant {
            "no-cross-term" => c * e + err * f,
            "additive" => e + err * f,
            _ => c * e + err * (f + e),
        };
        f *= c;
    }
    e
}

#[test]
fn certificate_matches_an_independent_svd_recomputation_from_the_file() {
    for (widths, nonneg, eps, (n, k), seed) in [
        (vec![6, 5, 4, 3], false, 0.05, (10, 3), 1),
        (vec![12, 9, 7, 5], true, 0.02, (12, 3), 2),
        (vec![20, 16, 4], false, 0.1, (8, 2), 3),
    ] {
        let target = mlp(&widths, seed);
        let cfg = BuildConfig {
            seed: 5,
            sizing: Sizing::Fixed { n, k },
            tolerance: Tolerance::Weight(eps),
            nonneg_input: nonneg,
            scale: None,
            scale_quantile: None,
            accept_over_eps: false,
            accept_misses: false,
            walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
            subsets: sslth::ticket::SubsetOrder::Fewest,
        };
        let net = sslth::net::Network::mlp(&target);
        let plans = plan(&net, &cfg).unwrap();
        let ticket = build(&net, &plans, cfg.seed, nonneg, &|| true).unwrap();
        let cert = ticket.certificate(&net).unwrap();
        let bytes = sslth::files::full_bytes(&ticket.to_sparse(), &ticket.meta(&net, cert.bound, None, None));
        let norms = norms_from_file(&bytes, &target, nonneg);
        for (l, (mine, theirs)) in norms.iter().zip(&cert.layers).enumerate() {
            let sslth = [theirs.target_norm, theirs.err_pos, theirs.err_neg, theirs.err_joint];
            for (what, (&svd, &up)) in ["|C|", "|E+|", "|E-|", "|[E+ E-]|"].iter().zip(mine.iter().zip(&sslth)) {
                assert!(up >= svd * (1.0 - 1e-14), "{widths:?} layer {l} {what}: bound {up} below SVD {svd}");
                assert!(up <= svd * (1.0 + 1e-6) + 1e-300, "{widths:?} layer {l} {what}: {up} vs SVD {svd}");
            }
        }
        let independent = recursion(&norms, 2f64.sqrt(), "right");
        let rel = (cert.bound - independent).abs() / independent;
        assert!(rel < 1e-6 && cert.bound >= independent, "{widths:?}: {} vs {independent}", cert.bound);
        // With --nonneg-input no layer has an N side, so [E⁺ E⁻] = [E⁺ 0]
        // and "max of sides" is then right.
        let wrongs: &[&str] =
            if nonneg { &["no-cross-term", "additive"] } else { &["no-cross-term", "additive", "max-of-sides"] };
        for &wrong in wrongs {
            let w = recursion(&norms, 2f64.sqrt(), wrong);
            assert!((w - cert.bound).abs() / cert.bound > 1e-4, "{widths:?}: '{wrong}' would pass ({w})");
        }
        let w = recursion(&norms, 1.0, "right");
        assert!((w - cert.bound).abs() / cert.bound > 1e-4, "{widths:?}: radius 1 would pass");
        assert_eq!(
            cert.domain,
            if nonneg { "every x >= 0 (each coordinate) with |x|_2 <= 1" } else { "every x with |x|_2 <= 1" }
        );
    }
}
