//! `sslth rfss bounds` as text: the paper's formulas at one (k, ε), and
//! Theorems 3 and 4 per layer, as aligned tables.

use crate::text;
use rfss::Dist;
use sslth::experiments::bounds::{Bounds, BoundsQuery, Theorem3, Theorem4Layer};
use std::fmt::Write as _;

/// The tables of `b`, computed for `q`.
pub fn tables(q: &BoundsQuery<'_>, b: &Bounds) -> Result<String, String> {
    let mut out = String::new();
    let (k, eps) = (b.k, b.eps);
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let (Some(n), Some(r)) = (b.n, b.ratio) {
        rows.push(vec![
            "log2(k/eps)/H2(k/n) at n".into(),
            format!("{r:.3}"),
            format!("n = {n}, k/n = {:.4}", k as f64 / n as f64),
        ]);
    }
    rows.push(vec!["Theorem 2: n = c·log2(k/eps)/H2(k/n)".into(), b.theorem2_n.to_string(), format!("c = {}", q.c)]);
    rows.push(vec![
        "Corollary 1: n = c_amp·log2²(k/eps)/H2(k/n)".into(),
        b.corollary1_n.to_string(),
        format!("c_amp = {}", q.c_amp),
    ]);
    let holds = if b.corollary2_n.condition_holds { "holds" } else { "fails" };
    rows.push(vec![
        "Corollary 2: n = 2c_amp·log2²(1/eps)/H2(k/n)".into(),
        b.corollary2_n.n.to_string(),
        format!("its condition on k {holds}"),
    ]);
    rows.push(vec![
        "Theorem 5 (lower): n = (d²/2)·log2(k/eps)/H2(k/n)".into(),
        b.theorem5_n.to_string(),
        format!("d = {}", q.d),
    ]);
    for dist in Dist::ALL {
        let m = &b.first_moment[dist.name()];
        let mut note = format!("z = {}", q.target);
        if let (Some(n), Some(e)) = (b.n, m.expected_good_subsets) {
            note = format!("{note}; E[Y] = {e:.3e} at n = {n}");
        }
        rows.push(vec![format!("first moment, {dist}: n with E[Y] = 1"), m.n_expectation_1.to_string(), note]);
    }
    if let Some(t) = &b.theorem4 {
        rows.push(vec![
            "Theorem 4: hidden width (stacked spaces)".into(),
            format!("{:.1}", t.hidden_spaces),
            format!(
                "{}: |B| = {}, |B|_op = {}; {} spaces, {} layers, gamma = {}",
                t.basis, t.basis_size, t.basis_norm, t.spaces, t.layers, t.gamma
            ),
        ]);
    }
    let _ = writeln!(
        out,
        "RFSS bounds for k = {k}, eps = {eps} (constants c, c_amp are not given by the paper: the experiments estimate them)"
    );
    out += &text::table(&["quantity", "n", "notes"], &rows);
    if let Some(t) = &b.theorem3 {
        let _ = writeln!(out, "\nTheorem 3, gamma' = {}, c_amp = {}:", q.gamma_prime, q.c_amp);
        out += &theorem3_table(t);
    }
    if let (Some(layers), Some(net)) = (&b.theorem4_layers, q.network) {
        let _ = writeln!(out, "\nTheorem 4 per layer of the target, gamma = {}, c_amp = {}:", q.gamma_prime, q.c_amp);
        out += &theorem4_table(layers, net)?;
    }
    Ok(out)
}

/// Theorem 3's sizing per layer and in total, as a table.
fn theorem3_table(t: &Theorem3) -> String {
    let mut rows: Vec<Vec<String>> = t
        .layers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                i.to_string(),
                format!("{}->{}", s.d_in, s.d_out),
                format!("{:.1}", s.n),
                format!("{:.1}", s.k),
                format!("{:.0}", s.hidden),
                format!("{:.3e}", s.params),
                format!("{:.3e}", s.kept),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        format!("m/m_t = {:.1}", t.overparameterisation),
        "".into(),
        "".into(),
        "".into(),
        format!("{:.3e}", t.m),
        format!("{:.3e} ({:.3}% of m; paper's γ = ρ·γ′ = {:.3})", t.kept, 100.0 * t.kept_over_m, t.paper_density),
    ]);
    text::table(&["layer", "in->out", "n_i", "k_i", "hidden", "random params", "kept (at most)"], &rows)
}

/// Theorem 4's hidden width for each layer of `net`, as a table.
fn theorem4_table(layers: &[Theorem4Layer], net: &sslth::net::Network) -> Result<String, String> {
    let linear = net.structure()?.linear;
    let rows: Vec<Vec<String>> = layers
        .iter()
        .zip(&linear)
        .map(|(l, layer)| {
            vec![
                l.layer.to_string(),
                layer.basis.name(),
                l.basis_size.to_string(),
                format!("{}", l.basis_norm),
                format!("{}->{}", l.c_in, l.c_out),
                format!("{:.1}", l.hidden_spaces),
            ]
        })
        .collect();
    Ok(text::table(&["layer", "basis", "|B|", "|B|_op", "in->out", "hidden spaces"], &rows))
}
