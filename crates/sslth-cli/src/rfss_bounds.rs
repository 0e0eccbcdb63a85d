//! `sslth rfss bounds`: the paper's formulas as a calculator (docs/THEORY.md
//! §2–§5).

use crate::args::Arch;
use clap::Args;
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
    print!("{}", sslth_report::bounds::tables(&query, &b)?);
    Ok(())
}
