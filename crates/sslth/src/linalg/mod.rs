//! Spectral norms for the error certificate (docs/THEORY.md §3.3 and §6).
//!
//! Two functions: [`spectral_norm`], an estimate by power iteration (a
//! lower bound up to rounding, used for sizing), and
//! [`spectral_norm_upper`], an upper bound by construction (used by the
//! certificate). Hand-rolled rather than taken from a linear-algebra crate:
//! such crates return an SVD accurate to rounding, not a number that is
//! guaranteed never to fall below the true norm, which is what a
//! certificate needs.

mod kernel;
mod lanczos;

/// Unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;

/// γ_n = n·u / (1 − n·u), the classical bound on the relative error of a
/// dot product of length n computed in floating point.
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    nu / (1.0 - nu)
}

/// ‖M‖₂ of a row-major `rows × cols` matrix estimated by power iteration on
/// MᵀM, in f64, from a fixed start vector, until the estimate changes by
/// less than 1e-12 relative (at most 2,000 steps). Approaches ‖M‖₂ from
/// below; not a bound (see [`spectral_norm_upper`]).
pub fn spectral_norm(m: &[f64], rows: usize, cols: usize) -> f64 {
    assert_eq!(m.len(), rows * cols);
    if m.iter().all(|&v| v == 0.0) {
        return 0.0;
    }
    // A start vector with no special alignment.
    let mut v: Vec<f64> = (0..cols).map(|i| 1.0 + ((i * 7919) % 101) as f64 / 101.0).collect();
    let mut u = vec![0.0; rows];
    let mut est = 0.0f64;
    for _ in 0..2000 {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        for (r, ur) in u.iter_mut().enumerate() {
            *ur = m[r * cols..(r + 1) * cols].iter().zip(&v).map(|(a, b)| a * b).sum();
        }
        let next = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x = 0.0);
        for (r, &ur) in u.iter().enumerate() {
            for (vc, &a) in v.iter_mut().zip(&m[r * cols..(r + 1) * cols]) {
                *vc += a * ur;
            }
        }
        let done = (next - est).abs() <= 1e-12 * next;
        est = next;
        if done {
            break;
        }
    }
    est
}

/// An upper bound on the Frobenius norm of `v` as computed in f64: the
/// computed √(Σ x²) times 1 + (len + 3)·u covers the rounding of the sum
/// (relative error ≤ γ_len) and of the square root.
fn frobenius_upper(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt() * (1.0 + (v.len() + 3) as f64 * U)
}

/// The exact power of two nearest above `x` (x > 0, finite): scaling by it
/// is exact in floating point.
fn pow2_above(x: f64) -> f64 {
    2f64.powi(x.log2().ceil() as i32)
}

/// An upper bound on ‖M‖₂ of a row-major `rows × cols` matrix that holds by
/// construction, floating-point rounding included (docs/THEORY.md §6):
///
/// 1. Ĝ = MᵀM or MMᵀ, whichever is smaller (d × d), computed in f64; its
///    rounding error E satisfies ‖E‖₂ ≤ γ_L·‖M‖_F² (L the long side), so
///    ‖M‖₂² = λ_max(G) ≤ λ_max(Ĝ) + γ_L‖M‖_F². H = Ĝ/2^a (exact) keeps
///    its entries near 1.
/// 2. θ, an estimate of λ_max(H) (`lanczos::top_eigenvalue`), and a
///    candidate μ = θ·(1 + δ).
/// 3. A = fl(μI − H) (only the diagonal rounds, by at most u·|A_ii|), and
///    its Cholesky factorization in floating point. If it runs to the end
///    with the factor R̂, then R̂ᵀR̂ = A + ΔA with ‖ΔA‖₂ ≤ γ_{d+1}‖R̂‖_F²
///    (Higham, *Accuracy and Stability of Numerical Algorithms*, Thm 10.3,
///    for any order of the inner sums), so A ⪰ −γ_{d+1}‖R̂‖_F²·I and
///    λ_max(H) ≤ μ + γ_{d+1}‖R̂‖_F² + u·max|A_ii|. If it stops at a pivot
///    that is not positive, it leaves a direction x with xᵀHx ≥ μ·xᵀx
///    (`kernel::negative_direction`); a Lanczos run from x raises θ, or,
///    if it cannot, δ grows tenfold; then step 3 again (12 tries at most,
///    then the Frobenius bound).
///
/// The cost is that of forming Ĝ, about 200 products Ĥv, and (usually one)
/// factorization of d³/6 multiply-adds: no repeated squaring. The bound is
/// within about δ/2 + d²u of the estimate (δ starts at 10⁻¹¹). A final
/// factor 1 + 10⁻¹² covers the rounding of the bound's own few scalar
/// operations. Underflow is not modelled (every entry is scaled to order
/// 1). The result is never above the Frobenius norm bound.
pub fn spectral_norm_upper(m: &[f64], rows: usize, cols: usize) -> f64 {
    assert_eq!(m.len(), rows * cols);
    if m.iter().all(|&v| v == 0.0) {
        return 0.0;
    }
    // Ĝ: the Gram matrix of M's columns (MᵀM) or of its rows (MMᵀ).
    let gram = || {
        if cols <= rows {
            let columns: Vec<f64> = (0..cols).flat_map(|j| (0..rows).map(move |r| m[r * cols + j])).collect();
            kernel::gram(&columns, cols, rows)
        } else {
            kernel::gram(m, rows, cols)
        }
    };
    upper_from_gram(gram, rows.min(cols), rows.max(cols), frobenius_upper(m))
}

/// [`spectral_norm_upper`] of the `rows × cols` matrix whose row r is row r
/// of `m` (stored `stored` wide) followed by zeros, bit for bit, without
/// forming it: when `stored` is a multiple of 4, at most ⌊cols/4⌋·4 and
/// `cols > rows`, every dot product of its rows (`kernel::dot`) puts the
/// same products in the same partial sums (the zeros add +0, which changes
/// no sum), and so does the sum of squares of the Frobenius bound. In any
/// other case the matrix is formed. The certificate uses it for [E⁺ E⁻]
/// when E⁻ = 0 (a layer whose inputs are never negative), half the memory.
pub fn spectral_norm_upper_zero_padded(m: &[f64], rows: usize, stored: usize, cols: usize) -> f64 {
    assert!(m.len() == rows * stored && stored <= cols);
    if stored % 4 != 0 || stored > cols / 4 * 4 || cols <= rows {
        let full: Vec<f64> = m
            .chunks_exact(stored.max(1))
            .flat_map(|r| r.iter().copied().chain(std::iter::repeat_n(0.0, cols - stored)))
            .collect();
        return spectral_norm_upper(&full, rows, cols);
    }
    if m.iter().all(|&v| v == 0.0) {
        return 0.0;
    }
    let frob = m.iter().map(|x| x * x).sum::<f64>().sqrt() * (1.0 + (rows * cols + 3) as f64 * U);
    upper_from_gram(|| kernel::gram(m, rows, stored), rows, cols, frob)
}

/// Steps 2 and 3 of [`spectral_norm_upper`] from its Gram matrix (made by
/// `gram`, `d × d`, again whenever a failed factorization needs it, so that
/// only one `d × d` matrix is held), the long side and the Frobenius bound.
fn upper_from_gram(gram: impl Fn() -> Vec<f64>, d: usize, long: usize, frob: f64) -> f64 {
    let gram_err = gamma(long) * frob * frob;
    let mut h = gram();
    let scale = pow2_above(frobenius_upper(&h).max(f64::MIN_POSITIVE));
    let scaled = |mut h: Vec<f64>| {
        h.iter_mut().for_each(|v| *v /= scale);
        h
    };
    h = scaled(h);
    let mut theta = lanczos::top_eigenvalue(&h, d, &lanczos::start_vector(d)).max(f64::MIN_POSITIVE);
    let mut delta = 1e-11;
    let mut lambda = f64::INFINITY;
    for _ in 0..12 {
        let mu = theta * (1.0 + delta);
        // A = fl(μI − H), made in H's own memory.
        let mut a = h;
        a.iter_mut().for_each(|v| *v = -*v);
        (0..d).for_each(|i| a[i * d + i] += mu);
        let max_diag = (0..d).map(|i| a[i * d + i].abs()).fold(0.0, f64::max);
        match kernel::cholesky(&mut a, d) {
            Ok(()) => {
                // ‖R̂‖_F², its rounding covered like frobenius_upper's.
                let terms = d * (d + 1) / 2;
                let rows = (0..d).map(|i| &a[i * d..=i * d + i]);
                let r2 = rows.map(|r| kernel::dot(r, r)).sum::<f64>() * (1.0 + (terms + 3) as f64 * U);
                lambda = mu + gamma(d + 1) * r2 + U * max_diag;
                break;
            }
            Err(j) => {
                // λ_max(H) ≥ μ along the direction the factorization
                // stopped at: a Lanczos run from there finds more of the
                // top; if it finds nothing higher, θ was right and δ too
                // small for the rounding.
                let x = kernel::negative_direction(&a, d, j);
                h = scaled(gram());
                let again = lanczos::top_eigenvalue(&h, d, &x);
                if again > theta * (1.0 + delta / 2.0) {
                    theta = again;
                } else {
                    delta *= 10.0;
                }
            }
        }
    }
    ((scale * lambda + gram_err).sqrt() * (1.0 + 1e-12)).min(frob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_norms() {
        // diag(3, −2): ‖·‖₂ = 3.
        for f in [spectral_norm, spectral_norm_upper] {
            assert!((f(&[3.0, 0.0, 0.0, -2.0], 2, 2) - 3.0).abs() < 1e-9);
            // Rank one u vᵀ: ‖u‖·‖v‖ = √5 · √2.
            let m = [1.0, 1.0, 2.0, 2.0];
            assert!((f(&m, 2, 2) - (10f64).sqrt()).abs() < 1e-9);
            // [[1, 2], [3, 4]]: sqrt((30 + sqrt(884)) / 2).
            let exact = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
            assert!((f(&[1.0, 2.0, 3.0, 4.0], 2, 2) - exact).abs() < 1e-9);
            assert_eq!(f(&[0.0; 6], 2, 3), 0.0);
        }
        // The upper bound is never below the exact value, even by rounding.
        let exact = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
        assert!(spectral_norm_upper(&[1.0, 2.0, 3.0, 4.0], 2, 2) >= exact);
        assert!(spectral_norm_upper(&[3.0, 0.0, 0.0, -2.0], 2, 2) >= 3.0);
    }

    #[test]
    fn upper_bound_on_degenerate_top_and_flat_spectra() {
        // The identity (every singular value 1, the hardest case for
        // squaring) and diag(1, 1, 0.999…): bounds ≥ 1, within 1e-6.
        let d = 40;
        let mut eye = vec![0.0; d * d];
        (0..d).for_each(|i| eye[i * d + i] = 1.0);
        let b = spectral_norm_upper(&eye, d, d);
        assert!((1.0..1.0 + 1e-6).contains(&b), "{b}");
        let mut near = eye.clone();
        near[d * d - 1] = 0.999_999;
        let b = spectral_norm_upper(&near, d, d);
        assert!((1.0..1.0 + 1e-6).contains(&b), "{b}");
    }

    #[test]
    fn upper_bound_is_above_every_rayleigh_quotient_and_close_to_the_estimate() {
        for (rows, cols, seed) in [(7, 5, 3), (30, 60, 4), (61, 17, 5)] {
            let m: Vec<f64> = (0..rows * cols).map(|i| crate::weights::uniform_weight(seed, 0, i as u64)).collect();
            let up = spectral_norm_upper(&m, rows, cols);
            let est = spectral_norm(&m, rows, cols);
            assert!(up >= est && up <= est * (1.0 + 1e-8), "{rows}x{cols}: {up} vs {est}");
            for t in 0..200u64 {
                let x: Vec<f64> = (0..cols).map(|i| crate::weights::uniform_weight(seed + 1, t, i as u64)).collect();
                let mx: f64 = (0..rows).map(|r| (0..cols).map(|c| m[r * cols + c] * x[c]).sum::<f64>().powi(2)).sum();
                let xx: f64 = x.iter().map(|v| v * v).sum();
                assert!((mx / xx).sqrt() <= up);
            }
        }
    }

    #[test]
    fn zero_padded_bound_is_the_bound_of_the_padded_matrix_bit_for_bit() {
        // Rows widened by zeros to `cols`: the padded path where it applies
        // (stored a multiple of 4, cols > rows), the formed matrix where not.
        for (rows, stored_cols, cols, seed) in
            [(5, 7, 14, 1), (9, 12, 26, 2), (30, 17, 34, 3), (3, 4, 8, 4), (40, 9, 18, 5)]
        {
            let m: Vec<f64> =
                (0..rows * stored_cols).map(|i| crate::weights::uniform_weight(seed, 1, i as u64)).collect();
            let stored = usize::next_multiple_of(stored_cols, 4);
            let padded: Vec<f64> = m
                .chunks_exact(stored_cols)
                .flat_map(|r| r.iter().copied().chain(std::iter::repeat_n(0.0, stored - stored_cols)))
                .collect();
            let full: Vec<f64> = m
                .chunks_exact(stored_cols)
                .flat_map(|r| r.iter().copied().chain(std::iter::repeat_n(0.0, cols - stored_cols)))
                .collect();
            let want = spectral_norm_upper(&full, rows, cols);
            let got = spectral_norm_upper_zero_padded(&padded, rows, stored, cols);
            assert_eq!(got.to_bits(), want.to_bits(), "{rows} x {cols}");
            assert!(got >= spectral_norm(&m, rows, stored_cols));
        }
    }
}
