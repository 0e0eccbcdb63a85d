//! The paper's formulas as functions (docs/THEORY.md §2–§5): the (RFSS)
//! threshold, the first-moment prediction, Corollaries 1 and 2, the
//! Theorem 5 lower bound, and the Theorem 3 sizing of a network.

use crate::Dist;

/// Binary entropy H2(x) = −x·log2 x − (1−x)·log2(1−x); 0 at 0 and 1.
pub fn h2(x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return 0.0;
    }
    -x * x.log2() - (1.0 - x) * (1.0 - x).log2()
}

/// log2 C(n, k), summed term by term (exact enough for k ≤ a few hundred).
pub fn log2_binomial(n: f64, k: usize) -> f64 {
    (0..k).map(|i| ((n - i as f64) / (i as f64 + 1.0)).log2()).sum()
}

/// log2(k/ε)/H2(k/n): the (RFSS) threshold's shape at a given n
/// (Theorem 2: n ≥ c_hyp times this).
pub fn rfss_ratio(k: usize, n: usize, eps: f64) -> f64 {
    (k as f64 / eps).log2() / h2(k as f64 / n as f64)
}

/// The smallest integer n ≥ 2k with n·H2(k/n) ≥ `bits`, that is with
/// n ≥ bits/H2(k/n): how every threshold of the paper reads once solved
/// for n. n·H2(k/n) ≈ log2 C(n, k) grows with n, so this is a bisection.
pub fn smallest_n(k: usize, bits: f64) -> u64 {
    smallest_n_from(k, bits, 2 * k as u64)
}

/// The smallest integer n ≥ `lo` (with `lo` ≥ k) such that
/// n·H2(k/n) ≥ `bits`. n·H2(k/n) increases with n for n ≥ k (its
/// derivative is −log2(1 − k/n) > 0), so this is a bisection.
pub fn smallest_n_from(k: usize, bits: f64, lo: u64) -> u64 {
    let f = |n: u64| n as f64 * h2(k as f64 / n as f64);
    let mut lo = lo.max(k as u64).max(1);
    if f(lo) >= bits {
        return lo;
    }
    let mut hi = lo.max(4);
    while f(hi) < bits {
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) >= bits {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Whether the bounds' arguments are in their domain: k ≥ 1, ε in
/// (0, 1), and each named constant (c, c_amp, …) a finite number > 0.
/// Outside it the formulas mean nothing (and ε = 0 never ends their
/// search for n), so both faces refuse such arguments here, naming them
/// in backticks (`` `eps` ``) for each face to spell as it names them.
pub fn check_args(k: usize, eps: f64, constants: &[(&str, f64)]) -> Result<(), String> {
    if k == 0 {
        return Err("`k` must be at least 1".into());
    }
    if !(eps > 0.0 && eps < 1.0) {
        return Err(format!("`eps` must be in (0, 1), got {eps}"));
    }
    check_positive(constants)
}

/// Each named value a finite number > 0, else which is not.
pub fn check_positive(values: &[(&str, f64)]) -> Result<(), String> {
    match values.iter().find(|(_, v)| !(*v > 0.0 && v.is_finite())) {
        Some((name, v)) => Err(format!("`{name}` must be a finite number > 0, got {v}")),
        None => Ok(()),
    }
}

/// Whether γ′ = k/n is in (0, 1/2], the range Theorems 3 and 4 assume.
pub fn check_gamma(name: &str, gamma: f64) -> Result<(), String> {
    if gamma > 0.0 && gamma <= 0.5 {
        Ok(())
    } else {
        Err(format!("`{name}` must be in (0, 1/2], got {gamma}"))
    }
}

/// The n that solves n = c·log2(k/ε)/H2(k/n) (Theorem 2).
pub fn theorem2_n(k: usize, eps: f64, c: f64) -> u64 {
    smallest_n(k, c * (k as f64 / eps).log2())
}

/// Corollary 1: n ≥ c_amp·log2²(k/ε)/H2(k/n).
pub fn corollary1_n(k: usize, eps: f64, c_amp: f64) -> u64 {
    smallest_n(k, c_amp * (k as f64 / eps).log2().powi(2))
}

/// Corollary 2: n ≥ 2·c_amp·log2²(1/ε)/H2(k/n), valid when
/// k ≥ 2·c_amp·(log2²k + 2·log2 k·log2(1/ε)) (returned as the flag).
pub fn corollary2_n(k: usize, eps: f64, c_amp: f64) -> (u64, bool) {
    let (lk, le) = ((k as f64).log2(), (1.0 / eps).log2());
    let valid = k as f64 >= 2.0 * c_amp * (lk * lk + 2.0 * lk * le);
    (smallest_n(k, 2.0 * c_amp * le * le), valid)
}

/// λ = 1 − 1/(2π): Theorem 5 holds for k ≤ λ·n (docs/THEORY.md §5).
pub const THEOREM5_LAMBDA: f64 = 1.0 - 1.0 / (2.0 * std::f64::consts::PI);

/// Theorem 5's lower bound: the smallest n with
/// n ≥ (d²/2)·log2(k/ε)/H2(k/n) among the n where the theorem holds,
/// k ≤ λ·n (so n ≥ ⌈k/λ⌉, not the 2k of the upper bounds); ε < 1/16.
pub fn theorem5_n(k: usize, eps: f64, d: usize) -> u64 {
    let lo = (k as f64 / THEOREM5_LAMBDA).ceil() as u64;
    smallest_n_from(k, (d * d) as f64 / 2.0 * (k as f64 / eps).log2(), lo)
}

/// Standard normal density.
fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// P(a ≤ S ≤ b) for a smooth density f, by Simpson's rule on 16 panels
/// (the windows here are narrow against the density's scale).
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let m = 16;
    let h = (b - a) / m as f64;
    let mut s = f(a) + f(b);
    for i in 1..m {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// CDF of the Irwin–Hall law (sum of k Uniform[0, 1]) at x.
pub fn irwin_hall_cdf(k: usize, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= k as f64 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut binom = 1.0;
    let mut fact = 1.0;
    for i in 1..=k {
        fact *= i as f64;
    }
    for i in 0..=(x.floor() as usize) {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        sum += sign * binom * (x - i as f64).powi(k as i32);
        binom = binom * (k - i) as f64 / (i + 1) as f64;
    }
    (sum / fact).clamp(0.0, 1.0)
}

/// The law of a sum of k samples, for the first-moment computation.
#[derive(Clone, Debug)]
pub struct SumLaw {
    dist: Dist,
    k: usize,
    /// Product samples: the PMF of the sum on a grid of step `h` from −`half`.
    pmf: Vec<f64>,
    h: f64,
    half: f64,
}

impl SumLaw {
    /// The law of Σ of k samples of `dist`. For products it is computed by
    /// k convolutions of the single-sample law discretised on a grid of
    /// step 1/1000 (cell masses from the exact CDF of XY,
    /// P(0 ≤ XY ≤ t) = (t − t·ln t)/2), truncated at 12 standard
    /// deviations.
    pub fn new(dist: Dist, k: usize) -> SumLaw {
        let mut law = SumLaw { dist, k, pmf: Vec::new(), h: 1e-3, half: 0.0 };
        if dist == Dist::Product {
            let h = law.h;
            let cells = (1.0 / h).round() as i64;
            let cdf_abs = |t: f64| {
                if t <= 0.0 {
                    0.0
                } else if t >= 1.0 {
                    0.5
                } else {
                    (t - t * t.ln()) / 2.0
                }
            };
            // Single sample on grid points i·h, i in −cells..=cells.
            let one: Vec<f64> = (-cells..=cells)
                .map(|i| {
                    let (a, b) = ((i as f64 - 0.5) * h, (i as f64 + 0.5) * h);
                    let pos = |x: f64| cdf_abs(x.clamp(0.0, 1.0));
                    // Symmetric law: mass in [a, b] = mass of |t| over the
                    // positive and negative parts.
                    (pos(b) - pos(a)) + (pos(-a) - pos(-b))
                })
                .collect();
            let sigma = (k as f64).sqrt() / 3.0;
            let reach = ((12.0 * sigma).min(k as f64) / h).ceil() as i64;
            let mut cur = vec![1.0f64];
            let mut cur_half = 0i64;
            for _ in 0..k {
                let new_half = (cur_half + cells).min(reach);
                let mut next = vec![0.0; (2 * new_half + 1) as usize];
                for (ci, &cv) in cur.iter().enumerate() {
                    if cv == 0.0 {
                        continue;
                    }
                    let x = ci as i64 - cur_half;
                    for (oi, &ov) in one.iter().enumerate() {
                        let y = x + oi as i64 - cells;
                        if y.abs() <= new_half {
                            next[(y + new_half) as usize] += cv * ov;
                        }
                    }
                }
                cur = next;
                cur_half = new_half;
            }
            law.pmf = cur;
            law.half = cur_half as f64 * h;
        }
        law
    }

    /// Density of the sum at x.
    pub fn density(&self, x: f64) -> f64 {
        match self.dist {
            Dist::Gauss => phi(x / (self.k as f64).sqrt()) / (self.k as f64).sqrt(),
            Dist::Uniform => {
                // S = 2·IH − k: a numerical derivative of the exact CDF.
                let d = 1e-4;
                (self.probability(x - d, x + d)) / (2.0 * d)
            }
            Dist::Product => {
                let cell = ((x + self.half) / self.h).round();
                if cell < 0.0 || cell >= self.pmf.len() as f64 {
                    return 0.0;
                }
                self.pmf[cell as usize] / self.h
            }
        }
    }

    /// P(a ≤ S ≤ b).
    pub fn probability(&self, a: f64, b: f64) -> f64 {
        match self.dist {
            Dist::Uniform => {
                let k = self.k as f64;
                irwin_hall_cdf(self.k, (b + k) / 2.0) - irwin_hall_cdf(self.k, (a + k) / 2.0)
            }
            Dist::Gauss => simpson(|x| self.density(x), a, b),
            Dist::Product => self.grid_cdf(b) - self.grid_cdf(a),
        }
    }

    /// CDF of the gridded product law: grid point i carries the mass of the
    /// cell [x_i − h/2, x_i + h/2], spread evenly over it.
    fn grid_cdf(&self, x: f64) -> f64 {
        let pos = (x + self.half) / self.h + 0.5; // cells passed, fractional
        if pos <= 0.0 {
            return 0.0;
        }
        let whole = (pos.floor() as usize).min(self.pmf.len());
        let mut c: f64 = self.pmf[..whole].iter().sum();
        if whole < self.pmf.len() {
            c += (pos - whole as f64) * self.pmf[whole];
        }
        c
    }
}

/// The first-moment prediction (docs/THEORY.md §2, sanity reading): the expected
/// number of good k-subsets E\[Y\] = C(n, k)·P(|Σ_k − z| < ε).
pub fn expected_good_subsets(law: &SumLaw, n: usize, z: f64, eps: f64) -> f64 {
    2f64.powf(log2_binomial(n as f64, law.k)) * law.probability(z - eps, z + eps)
}

/// The smallest n ≥ 2k with E\[Y\] ≥ 1.
pub fn first_moment_n(law: &SumLaw, z: f64, eps: f64) -> u64 {
    let p = law.probability(z - eps, z + eps);
    if p <= 0.0 {
        return u64::MAX;
    }
    let need = -p.log2();
    let mut n = 2 * law.k as u64;
    if log2_binomial(n as f64, law.k) >= need {
        return n;
    }
    let mut hi = n.max(4);
    while log2_binomial(hi as f64, law.k) < need {
        hi *= 2;
    }
    while hi - n > 1 {
        let mid = n + (hi - n) / 2;
        if log2_binomial(mid as f64, law.k) >= need {
            hi = mid;
        } else {
            n = mid;
        }
    }
    hi
}

/// Theorem 3's sizing of one layer of a network.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerSizing {
    /// d_{i−1}.
    pub d_in: usize,
    /// d_i.
    pub d_out: usize,
    /// n_i, solving its implicit equation.
    pub n: f64,
    /// k_i = γ′·n_i.
    pub k: f64,
    /// Hidden width 2·d_{i−1}·n_i.
    pub hidden: f64,
    /// Random parameters 2·d_{i−1}²·n_i + 2·d_{i−1}·d_i·n_i.
    pub params: f64,
    /// Kept edges, at most 4·d_{i−1}·d_i·k_i.
    pub kept: f64,
}

/// The largest root of n = c_amp·log2²(scale·n)/H2(γ), the implicit
/// equation of Theorems 3 and 4. g(n), the right side, grows like log² n,
/// so g(n) < n beyond the largest root and iterating g from above decreases
/// to it. (Iterating from n = 1 can fall on the trivial root instead: when
/// scale < 1, g(1) clamps to 0 and stays there.) The start is found by
/// doubling until g(n) < n.
fn largest_root(scale: f64, gamma: f64, c_amp: f64) -> f64 {
    let rhs = |n: f64| c_amp * (scale * n).log2().max(0.0).powi(2) / h2(gamma);
    // Beyond 1/scale the log is positive; start above every root.
    let mut n = (2.0 / scale).max(1.0);
    // A root beyond f64's range is +∞ (the doubling stops there).
    while rhs(n) >= n && n.is_finite() {
        n *= 2.0;
    }
    for _ in 0..10_000 {
        let next = rhs(n);
        if (n - next).abs() <= 1e-13 * n {
            return next;
        }
        n = next;
    }
    n
}

/// Theorem 4: the hidden width ñ (stacked feature spaces) of a random
/// 2ℓ-layer equivariant network, the largest solution of
/// ñ = c_amp·log2²(2ℓ·n²·max(|B|, ‖B‖)·γ·ñ/ε)/H2(γ), for targets of ℓ
/// layers with n stacked spaces each and a basis of size |B| and norm ‖B‖
/// (docs/THEORY.md §4).
pub fn theorem4_n(
    ell: usize,
    spaces: usize,
    basis_size: usize,
    basis_norm: f64,
    gamma: f64,
    eps: f64,
    c_amp: f64,
) -> f64 {
    let scale = 2.0 * ell as f64 * (spaces * spaces) as f64 * (basis_size as f64).max(basis_norm) * gamma / eps;
    largest_root(scale, gamma, c_amp)
}

/// Figure 1's curve: Theorem 3 with `c_amp` for `widths` at `eps`, γ′
/// swept geometrically from ½ down by a factor 10 every `per_decade`
/// points (`points` + 1 in all), as (γ′, density kept/m, overparameterisation
/// m/m_t) with m the random network's parameters and m_t the target's
/// weights.
pub fn density_sweep(widths: &[usize], eps: f64, c_amp: f64, points: usize, per_decade: f64) -> Vec<(f64, f64, f64)> {
    let mt: f64 = widths.windows(2).map(|w| (w[0] * w[1]) as f64).sum();
    (0..=points)
        .map(|i| {
            let gp = 0.5 * 10f64.powf(-(i as f64) / per_decade);
            let s = theorem3(widths, eps, gp, c_amp);
            let m: f64 = s.iter().map(|l| l.params).sum();
            let kept: f64 = s.iter().map(|l| l.kept).sum();
            (gp, kept / m, m / mt)
        })
        .collect()
}

/// Theorem 3: for widths d_0-…-d_ℓ, tolerance ε and γ′ = k/n ∈ (0, ½],
/// each n_i is the largest solution of
/// n_i = c_amp·log2²(2ℓ·d_{i−1}·d_i·γ′·n_i/ε)/H2(γ′) (docs/THEORY.md §3;
/// see `largest_root`).
pub fn theorem3(widths: &[usize], eps: f64, gamma_prime: f64, c_amp: f64) -> Vec<LayerSizing> {
    let ell = (widths.len() - 1) as f64;
    widths
        .windows(2)
        .map(|w| {
            let (d_in, d_out) = (w[0], w[1]);
            let n = largest_root(2.0 * ell * (d_in * d_out) as f64 * gamma_prime / eps, gamma_prime, c_amp);
            let k = gamma_prime * n;
            let (di, dd) = (d_in as f64, d_out as f64);
            LayerSizing {
                d_in,
                d_out,
                n,
                k,
                hidden: 2.0 * di * n,
                params: 2.0 * di * di * n + 2.0 * di * dd * n,
                kept: 4.0 * di * dd * k,
            }
        })
        .collect()
}

/// ρ = max over layers of max(d_i/d_{i−1}, d_{i−1}/d_i) (Theorem 3).
pub fn width_ratio(widths: &[usize]) -> f64 {
    widths.windows(2).map(|w| (w[0] as f64 / w[1] as f64).max(w[1] as f64 / w[0] as f64)).fold(1.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_endpoints_symmetry_and_hand_values() {
        assert_eq!(h2(0.0), 0.0);
        assert_eq!(h2(1.0), 0.0);
        assert!((h2(0.5) - 1.0).abs() < 1e-15);
        for x in [0.01, 0.1, 0.3, 0.45] {
            assert!((h2(x) - h2(1.0 - x)).abs() < 1e-15);
        }
        // H2(1/4) = 2 − (3/4)·log2 3.
        assert!((h2(0.25) - (2.0 - 0.75 * 3f64.log2())).abs() < 1e-15);
    }

    #[test]
    fn binomials() {
        assert!((log2_binomial(10.0, 3) - 120f64.log2()).abs() < 1e-12);
        assert!((log2_binomial(64.0, 32) - 1.832624140942591e18f64.log2()).abs() < 1e-9);
    }

    #[test]
    fn thresholds_solve_their_equations() {
        for (k, eps, c) in [(1, 0.1, 1.0), (4, 1e-2, 1.0), (16, 1e-4, 2.5), (8, 1e-3, 0.7)] {
            let n = theorem2_n(k, eps, c);
            let bits = c * (k as f64 / eps).log2();
            // n satisfies n ≥ c·log2(k/ε)/H2(k/n) and n − 1 does not (unless n = 2k).
            assert!(n as f64 >= bits / h2(k as f64 / n as f64));
            if n > 2 * k as u64 {
                let m = n - 1;
                assert!((m as f64) < bits / h2(k as f64 / m as f64), "k {k}: {n}");
            }
        }
        assert!(corollary1_n(4, 1e-2, 1.0) > theorem2_n(4, 1e-2, 1.0));
        assert!(theorem5_n(4, 1e-2, 3) > theorem5_n(4, 1e-2, 1));
        let (_, valid) = corollary2_n(2, 1e-2, 1.0);
        assert!(!valid);
    }

    #[test]
    fn irwin_hall_against_hand_values_and_monte_carlo() {
        // k = 2: triangle; F(1) = 1/2, F(0.5) = 1/8.
        assert!((irwin_hall_cdf(2, 1.0) - 0.5).abs() < 1e-15);
        assert!((irwin_hall_cdf(2, 0.5) - 0.125).abs() < 1e-15);
        // k = 3 at 1.5: 1/2 by symmetry.
        assert!((irwin_hall_cdf(3, 1.5) - 0.5).abs() < 1e-14);
        let law = SumLaw::new(Dist::Uniform, 4);
        let mc = monte_carlo(Dist::Uniform, 4, 0.3, 0.1);
        assert!((law.probability(0.2, 0.4) - mc).abs() < 0.004, "{} vs {mc}", law.probability(0.2, 0.4));
    }

    /// P(|Σ_k − z| < ε) by 400,000 draws.
    fn monte_carlo(dist: Dist, k: usize, z: f64, eps: f64) -> f64 {
        let draws = 400_000;
        let mut g = crate::rng(99, k as u64);
        let mut hits = 0;
        for _ in 0..draws {
            let s: f64 = (0..k).map(|_| rand::distr::Distribution::sample(&dist, &mut g)).sum();
            hits += usize::from((s - z).abs() < eps);
        }
        hits as f64 / draws as f64
    }

    #[test]
    fn product_and_gauss_laws_against_monte_carlo() {
        for (dist, k, z) in
            [(Dist::Product, 1, 0.2), (Dist::Product, 4, 0.1), (Dist::Product, 8, -0.5), (Dist::Gauss, 3, 1.0)]
        {
            let law = SumLaw::new(dist, k);
            let exact = law.probability(z - 0.05, z + 0.05);
            let mc = monte_carlo(dist, k, z, 0.05);
            // Monte Carlo's standard error is below 1e-3 here.
            assert!((exact - mc).abs() < 4e-3, "{dist} k {k}: {exact} vs {mc}");
        }
        // The product law's total mass is 1.
        let law = SumLaw::new(Dist::Product, 5);
        assert!((law.probability(-5.0, 5.0) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn first_moment_n_is_where_expectation_crosses_one() {
        let law = SumLaw::new(Dist::Uniform, 4);
        let n = first_moment_n(&law, 0.0, 1e-3) as usize;
        assert!(expected_good_subsets(&law, n, 0.0, 1e-3) >= 1.0);
        assert!(expected_good_subsets(&law, n - 1, 0.0, 1e-3) < 1.0);
    }

    #[test]
    fn theorem3_sizes_solve_the_implicit_equation() {
        let widths = [784, 500, 10];
        let (eps, gp, c) = (0.01, 0.25, 1.0);
        let sizes = theorem3(&widths, eps, gp, c);
        for s in &sizes {
            let rhs = c * (2.0 * 2.0 * (s.d_in * s.d_out) as f64 * gp * s.n / eps).log2().powi(2) / h2(gp);
            assert!((s.n - rhs).abs() < 1e-6 * s.n, "{} vs {rhs}", s.n);
            assert!(
                (s.params - (2.0 * (s.d_in * s.d_in) as f64 * s.n + 2.0 * (s.d_in * s.d_out) as f64 * s.n)).abs()
                    < 1e-6
            );
        }
        assert_eq!(width_ratio(&widths), 50.0);
    }

    #[test]
    fn theorem3_finds_the_nontrivial_root_at_tiny_gamma() {
        // At γ′ = 5e-7 the 500 → 10 layer has 2ℓ·d·d·γ′/ε = 1, so g(1) = 0
        // and iterating from n = 1 would settle on the trivial root n = 0. Every layer must
        // solve its equation with n > 0, and no larger root may exist.
        let widths = [784, 500, 10];
        let (eps, gp) = (0.01, 5e-7);
        for s in theorem3(&widths, eps, gp, 1.0) {
            let scale = 4.0 * (s.d_in * s.d_out) as f64 * gp / eps;
            let rhs = |n: f64| (scale * n).log2().max(0.0).powi(2) / h2(gp);
            assert!(s.n > 1e6, "{}→{}: n = {}", s.d_in, s.d_out, s.n);
            assert!((s.n - rhs(s.n)).abs() < 1e-9 * s.n);
            for f in [1.01, 2.0, 1e3, 1e9] {
                assert!(rhs(f * s.n) < f * s.n, "a larger root beyond {}", s.n);
            }
        }
        // The whole network at that γ′: m/m_t ≈ 5.647e8 (an independent
        // evaluation of the same fixed points by Newton's method in Python
        // gave 5.6469e8 and density 3.3924e-7).
        let s = theorem3(&widths, eps, gp, 1.0);
        let mt = (784 * 500 + 500 * 10) as f64;
        let m: f64 = s.iter().map(|l| l.params).sum();
        let kept: f64 = s.iter().map(|l| l.kept).sum();
        assert!((m / mt / 5.6469e8 - 1.0).abs() < 1e-3, "{}", m / mt);
        assert!((kept / m / 3.3924e-7 - 1.0).abs() < 1e-3, "{}", kept / m);
    }

    #[test]
    fn theorem4_is_theorem3_for_the_trivial_group_and_grows_with_the_basis() {
        // One basis element of norm 1 and n spaces: Theorem 3 with equal
        // widths n.
        let (eps, g) = (0.01, 0.25);
        let dense = theorem4_n(2, 50, 1, 1.0, g, eps, 1.0);
        let t3 = theorem3(&[50, 50, 50], eps, g, 1.0);
        assert!((dense - t3[0].n).abs() < 1e-9 * dense);
        // A 3×3 convolution (|B| = ‖B‖ = 9) and DeepSets (|B| = ‖B‖ = 2).
        let conv = theorem4_n(2, 50, 9, 9.0, g, eps, 1.0);
        let sets = theorem4_n(2, 50, 2, 2.0, g, eps, 1.0);
        assert!(dense < sets && sets < conv);
        let scale = 2.0 * 2.0 * 2500.0 * 9.0 * g / eps;
        assert!((conv - (scale * conv).log2().powi(2) / h2(g)).abs() < 1e-9 * conv);
    }

    #[test]
    fn theorem5_is_not_clamped_at_2k() {
        // k = 8, ε = 0.1, d = 1: bits = log2(80)/2 ≈ 3.16; n = 10 already
        // gives 10·H2(0.8) ≈ 7.2 bits, and k ≤ λn needs n ≥ 10 (8/0.84 = 9.5).
        assert_eq!(theorem5_n(8, 0.1, 1), 10);
        assert!(theorem5_n(8, 0.1, 1) < 16);
        // Where the bound binds beyond k/λ it solves its own equation.
        let (k, eps, d) = (4, 1e-3, 3);
        let n = theorem5_n(k, eps, d);
        let bits = (d * d) as f64 / 2.0 * (k as f64 / eps).log2();
        assert!(n as f64 * h2(k as f64 / n as f64) >= bits);
        assert!(((n - 1) as f64) * h2(k as f64 / (n - 1) as f64) < bits);
    }
}
