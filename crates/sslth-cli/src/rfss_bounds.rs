//! `sslth rfss bounds`: the paper's formulas as a calculator (docs/THEORY.md
//! §2–§5).

use crate::args::Arch;
use crate::report;
use clap::Args;
use rfss::theory::{self, SumLaw};
use rfss::Dist;

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

/// Runs `sslth rfss bounds`.
pub fn run(a: &BoundsArgs) -> Result<(), String> {
    let cli = |m: String| sslth::error::spell(&m, sslth::Face::Cli);
    theory::check_args(a.k, a.eps, &[("c", a.c), ("c_amp", a.c_amp), ("d", a.d as f64)]).map_err(cli)?;
    let n = match (a.n, a.density) {
        (Some(n), _) if 2 * a.k > n => {
            return Err(format!("k must be <= n/2 (Theorems 2-3 assume it), got k = {}, n = {n}", a.k))
        }
        (Some(n), _) => Some(n),
        (_, Some(g)) if g > 0.0 && g <= 0.5 => Some((a.k as f64 / g).round() as usize),
        (_, Some(g)) => return Err(format!("density k/n must be in (0, 1/2], got {g}")),
        _ => None,
    };
    let (k, eps) = (a.k, a.eps);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut json = serde_json::json!({"k": k, "eps": eps, "n": n});
    if let Some(n) = n {
        let r = theory::rfss_ratio(k, n, eps);
        rows.push(vec![
            "log2(k/eps)/H2(k/n) at n".into(),
            format!("{r:.3}"),
            format!("n = {n}, k/n = {:.4}", k as f64 / n as f64),
        ]);
        json["ratio"] = r.into();
    }
    let t2 = theory::theorem2_n(k, eps, a.c);
    rows.push(vec!["Theorem 2: n = c·log2(k/eps)/H2(k/n)".into(), t2.to_string(), format!("c = {}", a.c)]);
    let c1 = theory::corollary1_n(k, eps, a.c_amp);
    rows.push(vec![
        "Corollary 1: n = c_amp·log2²(k/eps)/H2(k/n)".into(),
        c1.to_string(),
        format!("c_amp = {}", a.c_amp),
    ]);
    let (c2, valid) = theory::corollary2_n(k, eps, a.c_amp);
    rows.push(vec![
        "Corollary 2: n = 2c_amp·log2²(1/eps)/H2(k/n)".into(),
        c2.to_string(),
        if valid { "its condition on k holds".into() } else { "its condition on k fails".into() },
    ]);
    let t5 = theory::theorem5_n(k, eps, a.d);
    rows.push(vec!["Theorem 5 (lower): n = (d²/2)·log2(k/eps)/H2(k/n)".into(), t5.to_string(), format!("d = {}", a.d)]);
    json["theorem2_n"] = t2.into();
    json["corollary1_n"] = c1.into();
    json["corollary2_n"] = serde_json::json!({"n": c2, "condition_holds": valid});
    json["theorem5_n"] = t5.into();
    let mut fm = serde_json::Map::new();
    for dist in Dist::ALL {
        let law = SumLaw::new(dist, k);
        let n1 = theory::first_moment_n(&law, a.target, eps);
        let mut entry = serde_json::json!({"n_expectation_1": n1});
        let mut note = format!("z = {}", a.target);
        if let Some(n) = n {
            let e = theory::expected_good_subsets(&law, n, a.target, eps);
            entry["expected_good_subsets"] = e.into();
            note = format!("{note}; E[Y] = {e:.3e} at n = {n}");
        }
        rows.push(vec![format!("first moment, {dist}: n with E[Y] = 1"), n1.to_string(), note]);
        fm.insert(dist.name().into(), entry);
    }
    json["first_moment"] = fm.into();

    let mut net_rows = Vec::new();
    if let Some(w) = &a.widths {
        theory::check_gamma("gamma_prime", a.gamma_prime).map_err(cli)?;
        let sizes = theory::theorem3(&w.widths, eps, a.gamma_prime, a.c_amp);
        let mt: f64 = w.widths.windows(2).map(|p| (p[0] * p[1]) as f64).sum();
        let m: f64 = sizes.iter().map(|s| s.params).sum();
        let kept: f64 = sizes.iter().map(|s| s.kept).sum();
        for (i, s) in sizes.iter().enumerate() {
            net_rows.push(vec![
                i.to_string(),
                format!("{}->{}", s.d_in, s.d_out),
                format!("{:.1}", s.n),
                format!("{:.1}", s.k),
                format!("{:.0}", s.hidden),
                format!("{:.3e}", s.params),
                format!("{:.3e}", s.kept),
            ]);
        }
        let rho = theory::width_ratio(&w.widths);
        json["theorem3"] = serde_json::json!({
            "gamma_prime": a.gamma_prime, "c_amp": a.c_amp,
            "layers": sizes.iter().map(|s| serde_json::json!({"d_in": s.d_in, "d_out": s.d_out, "n": s.n, "k": s.k, "hidden": s.hidden, "params": s.params, "kept": s.kept})).collect::<Vec<_>>(),
            "m": m, "m_t": mt, "overparameterisation": m / mt, "kept": kept, "kept_over_m": kept / m, "paper_density": rho * a.gamma_prime,
        });
        net_rows.push(vec![
            "total".into(),
            format!("m/m_t = {:.1}", m / mt),
            "".into(),
            "".into(),
            "".into(),
            format!("{m:.3e}"),
            format!("{kept:.3e} ({:.3}% of m; paper's γ = ρ·γ′ = {:.3})", 100.0 * kept / m, rho * a.gamma_prime),
        ]);
    }
    if let Some(BasisChoice(b)) = &a.basis {
        theory::check_gamma("gamma_prime", a.gamma_prime).map_err(cli)?;
        let (spaces, layers) = (a.spaces.unwrap_or(16), a.layers.unwrap_or(2));
        if spaces == 0 || layers == 0 {
            return Err("--spaces and --layers must be at least 1".into());
        }
        let n = theory::theorem4_n(layers, spaces, b.size(), b.norm(), a.gamma_prime, eps, a.c_amp);
        rows.push(vec![
            "Theorem 4: hidden width (stacked spaces)".into(),
            format!("{n:.1}"),
            format!(
                "{}: |B| = {}, |B|_op = {}; {} spaces, {} layers, gamma = {}",
                b.name(),
                b.size(),
                b.norm(),
                spaces,
                layers,
                a.gamma_prime
            ),
        ]);
        json["theorem4"] = serde_json::json!({"basis": b.name(), "basis_size": b.size(), "basis_norm": b.norm(),
            "spaces": spaces, "layers": layers, "gamma": a.gamma_prime, "hidden_spaces": n});
    }
    let mut layer_rows = Vec::new();
    if let Some(path) = &a.network {
        theory::check_gamma("gamma_prime", a.gamma_prime).map_err(cli)?;
        let (net, _) = sslth::files::target::load(path, None).map_err(|e| e.to_string())?;
        let linear = net.structure()?.linear;
        let mut per_layer = Vec::new();
        for (i, l) in linear.iter().enumerate() {
            let spaces = l.c_in.max(l.c_out);
            let (size, norm) = (l.basis.size(), l.basis.norm());
            let n = theory::theorem4_n(linear.len(), spaces, size, norm, a.gamma_prime, eps, a.c_amp);
            layer_rows.push(vec![
                i.to_string(),
                l.basis.name(),
                size.to_string(),
                format!("{norm}"),
                format!("{}->{}", l.c_in, l.c_out),
                format!("{n:.1}"),
            ]);
            per_layer.push(serde_json::json!({"layer": i, "basis": l.basis.spec(), "basis_size": size,
                "basis_norm": norm, "c_in": l.c_in, "c_out": l.c_out, "hidden_spaces": n}));
        }
        json["theorem4_layers"] = serde_json::json!(per_layer);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&json).expect("serialisable"));
        return Ok(());
    }
    println!("RFSS bounds for k = {k}, eps = {eps} (constants c, c_amp are not given by the paper: the experiments estimate them)");
    print!("{}", report::table(&["quantity", "n", "notes"], &rows));
    if !net_rows.is_empty() {
        println!("\nTheorem 3, gamma' = {}, c_amp = {}:", a.gamma_prime, a.c_amp);
        print!(
            "{}",
            report::table(&["layer", "in->out", "n_i", "k_i", "hidden", "random params", "kept (at most)"], &net_rows)
        );
    }
    if !layer_rows.is_empty() {
        println!("\nTheorem 4 per layer of the target, gamma = {}, c_amp = {}:", a.gamma_prime, a.c_amp);
        print!("{}", report::table(&["layer", "basis", "|B|", "|B|_op", "in->out", "hidden spaces"], &layer_rows));
    }
    Ok(())
}
