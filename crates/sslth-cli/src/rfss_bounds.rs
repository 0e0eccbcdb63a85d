//! `sslth rfss bounds`: the paper's formulas as a calculator (docs/THEORY.md
//! §2–§5).

use crate::args::Arch;
use crate::report;
use clap::Args;
use rfss::Dist;
use sslth::experiments::bounds::{bounds, BoundsQuery};

/// Arguments of `sslth rfss bounds`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct BoundsArgs {
    /// Subset size k.
    #[arg(long)]
    k: usize,
    /// Tolerance ε, in (0, 1).
    #[arg(long)]
    eps: f64,
    /// Samples n (k <= n/2).
    #[arg(long, conflicts_with = "density")]
    n: Option<usize>,
    /// Density k/n in (0, 1/2], instead of n.
    #[arg(long)]
    density: Option<f64>,
    /// The constant c of n = c·log2(k/ε)/H2(k/n) (Theorem 2).
    #[arg(long, default_value_t = 1.0)]
    c: f64,
    /// The constant c_amp of Corollaries 1 and 2 and Theorem 3.
    #[arg(long, default_value_t = 1.0)]
    c_amp: f64,
    /// d for Theorem 5's lower bound (d×d linear maps).
    #[arg(long, default_value_t = 1)]
    d: usize,
    /// Target z for the first-moment prediction.
    #[arg(long, default_value_t = 0.0)]
    target: f64,
    /// Network widths d_0-…-d_ℓ for Theorem 3 (uses --eps, --c-amp and
    /// --gamma-prime).
    #[arg(long, value_parser = crate::args::parse_arch)]
    widths: Option<Arch>,
    /// γ′ = k_i/n_i of Theorem 3, in (0, 1/2].
    #[arg(long, default_value_t = 0.25)]
    gamma_prime: f64,
    /// An equivariant basis for Theorem 4: dense, conv2d:K (K×K kernel, K
    /// odd) or deepsets; uses --spaces, --layers, --eps, --c-amp and
    /// --gamma-prime.
    #[arg(long, value_parser = parse_basis)]
    basis: Option<BasisChoice>,
    /// Stacked feature spaces (channels) per target layer, for Theorem 4
    /// with --basis (default 16).
    #[arg(long, requires = "basis")]
    spaces: Option<usize>,
    /// Target layers ℓ, for Theorem 4 with --basis (default 2).
    #[arg(long, requires = "basis")]
    layers: Option<usize>,
    /// A target file (dense, CNN or DeepSets): Theorem 4's hidden width
    /// for each of its layers, with that layer's basis (|B|, ‖B‖) and
    /// max(c_in, c_out) spaces, ℓ its number of layers; uses --eps, --c-amp
    /// and --gamma-prime.
    #[arg(long)]
    network: Option<std::path::PathBuf>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

/// A basis named on the command line; its size and norm do not depend on
/// the feature maps' size.
#[derive(Clone, Debug)]
struct BasisChoice(std::sync::Arc<dyn sslth::net::Basis>);

fn parse_basis(s: &str) -> Result<BasisChoice, String> {
    use sslth::net::{Conv2d, DeepSets, Identity};
    let b: std::sync::Arc<dyn sslth::net::Basis> = match s {
        "dense" => std::sync::Arc::new(Identity),
        "deepsets" => std::sync::Arc::new(DeepSets),
        _ => match s.strip_prefix("conv2d:").map(str::parse::<usize>) {
            Some(Ok(k)) => std::sync::Arc::new(Conv2d::new(k, k, k)?),
            _ => return Err(format!("'{s}' is not dense, conv2d:K or deepsets")),
        },
    };
    Ok(BasisChoice(b))
}

/// Runs `sslth rfss bounds`: the library computes, this prints.
pub fn run(a: &BoundsArgs) -> Result<(), String> {
    let net = match &a.network {
        Some(path) => Some(sslth::files::target::load(path, None).map_err(|e| e.to_string())?.0),
        None => None,
    };
    let query = BoundsQuery {
        k: a.k,
        eps: a.eps,
        n: a.n,
        density: a.density,
        c: a.c,
        c_amp: a.c_amp,
        d: a.d,
        target: a.target,
        widths: a.widths.as_ref().map(|w| w.widths.clone()),
        gamma_prime: a.gamma_prime,
        basis: a.basis.as_ref().map(|BasisChoice(b)| (b.clone(), a.spaces.unwrap_or(16), a.layers.unwrap_or(2))),
        network: net.as_ref(),
    };
    let b = bounds(&query).map_err(crate::cli_error)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&b).expect("serialisable"));
        return Ok(());
    }
    let (k, eps) = (b.k, b.eps);
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let (Some(n), Some(r)) = (b.n, b.ratio) {
        rows.push(vec![
            "log2(k/eps)/H2(k/n) at n".into(),
            format!("{r:.3}"),
            format!("n = {n}, k/n = {:.4}", k as f64 / n as f64),
        ]);
    }
    rows.push(vec!["Theorem 2: n = c·log2(k/eps)/H2(k/n)".into(), b.theorem2_n.to_string(), format!("c = {}", a.c)]);
    rows.push(vec![
        "Corollary 1: n = c_amp·log2²(k/eps)/H2(k/n)".into(),
        b.corollary1_n.to_string(),
        format!("c_amp = {}", a.c_amp),
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
        format!("d = {}", a.d),
    ]);
    for dist in Dist::ALL {
        let m = &b.first_moment[dist.name()];
        let mut note = format!("z = {}", a.target);
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
    println!("RFSS bounds for k = {k}, eps = {eps} (constants c, c_amp are not given by the paper: the experiments estimate them)");
    print!("{}", report::table(&["quantity", "n", "notes"], &rows));
    if let Some(t) = &b.theorem3 {
        println!("\nTheorem 3, gamma' = {}, c_amp = {}:", a.gamma_prime, a.c_amp);
        print!("{}", theorem3_table(t));
    }
    if let (Some(layers), Some(net)) = (&b.theorem4_layers, &net) {
        println!("\nTheorem 4 per layer of the target, gamma = {}, c_amp = {}:", a.gamma_prime, a.c_amp);
        print!("{}", theorem4_table(layers, net)?);
    }
    Ok(())
}

/// Theorem 3's sizing per layer and in total, as a table.
fn theorem3_table(t: &sslth::experiments::bounds::Theorem3) -> String {
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
    report::table(&["layer", "in->out", "n_i", "k_i", "hidden", "random params", "kept (at most)"], &rows)
}

/// Theorem 4's hidden width for each layer of `net`, as a table.
fn theorem4_table(
    layers: &[sslth::experiments::bounds::Theorem4Layer],
    net: &sslth::net::Network,
) -> Result<String, String> {
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
    Ok(report::table(&["layer", "basis", "|B|", "|B|_op", "in->out", "hidden spaces"], &rows))
}
