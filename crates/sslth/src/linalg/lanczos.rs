//! The largest eigenvalue of a symmetric matrix, estimated by the Lanczos
//! method: the certificate's first guess, which a Cholesky factorization
//! then confirms or refutes (see [`super::spectral_norm_upper`]).

use super::kernel::{dot, matvec};

/// An estimate of λ_max of the symmetric `d × d` row-major `h`: the largest
/// Ritz value of a Lanczos run with full reorthogonalization from `start`
/// (any nonzero vector; [`start_vector`] when nothing better is known). Stops when that value has changed by less than 10⁻¹⁴
/// (relative) for three steps running, when the Krylov space stops growing,
/// or after min(d, 500) steps. Ritz values lie inside the spectrum, so up
/// to rounding this approaches λ_max from below; it is no bound.
pub fn top_eigenvalue(h: &[f64], d: usize, start: &[f64]) -> f64 {
    assert_eq!(h.len(), d * d);
    let mut v = start.to_vec();
    let norm = dot(&v, &v).sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let (mut top, mut quiet) = (f64::NEG_INFINITY, 0);
    for _ in 0..d.min(500) {
        let mut w = matvec(h, d, &v);
        alpha.push(dot(&v, &w));
        basis.push(v);
        // Full reorthogonalization, twice (classical Gram–Schmidt).
        for _ in 0..2 {
            for b in &basis {
                let c = dot(b, &w);
                w.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
            }
        }
        let next = tridiagonal_top(&alpha, &beta);
        quiet = if (next - top).abs() <= 1e-14 * next.abs() { quiet + 1 } else { 0 };
        top = next;
        let b = dot(&w, &w).sqrt();
        if quiet >= 3 || b <= 1e-13 * top.abs() {
            break;
        }
        beta.push(b);
        v = w.into_iter().map(|x| x / b).collect();
    }
    top
}

/// A fixed pseudo-random vector of length `d` (splitmix64 of the index,
/// mapped to [−1, 1)): unlike a patterned one, it is orthogonal to no
/// eigenvector of the structured matrices the certificate meets
/// (circulant convolutions, for one), except by a fluke.
pub fn start_vector(d: usize) -> Vec<f64> {
    (0..d as u64)
        .map(|i| {
            let mut z = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

/// The largest eigenvalue of the symmetric tridiagonal matrix with
/// diagonal `alpha` and off-diagonal `beta` (one shorter), by bisection on
/// Sturm counts inside the Gershgorin interval.
fn tridiagonal_top(alpha: &[f64], beta: &[f64]) -> f64 {
    let n = alpha.len();
    let off = |i: usize| (if i > 0 { beta[i - 1].abs() } else { 0.0 }) + beta.get(i).map_or(0.0, |b| b.abs());
    let mut lo = (0..n).map(|i| alpha[i] - off(i)).fold(f64::INFINITY, f64::min);
    let mut hi = (0..n).map(|i| alpha[i] + off(i)).fold(f64::NEG_INFINITY, f64::max);
    // The number of eigenvalues below x: the negative pivots of T − xI.
    let below = |x: f64| {
        let (mut q, mut count) = (1.0f64, 0);
        for i in 0..n {
            let b2 = if i > 0 { beta[i - 1] * beta[i - 1] } else { 0.0 };
            q = alpha[i] - x - if i > 0 { b2 / q } else { 0.0 };
            if q == 0.0 {
                q = -f64::MIN_POSITIVE;
            }
            if q < 0.0 {
                count += 1;
            }
        }
        count
    };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) == n {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_top_of_known_spectra() {
        // diag(1, …, d): λ_max = d; a rank-one u uᵀ: ‖u‖².
        let d = 60;
        let mut h = vec![0.0; d * d];
        (0..d).for_each(|i| h[i * d + i] = (i + 1) as f64);
        assert!((top_eigenvalue(&h, d, &start_vector(d)) - d as f64).abs() < 1e-10);
        let u: Vec<f64> = (0..d).map(|i| (i as f64).sin()).collect();
        let uu: Vec<f64> = (0..d * d).map(|t| u[t / d] * u[t % d]).collect();
        assert!((top_eigenvalue(&uu, d, &start_vector(d)) - dot(&u, &u)).abs() < 1e-10);
        // The tridiagonal [[2, 1], [1, 2]]: 3.
        assert!((tridiagonal_top(&[2.0, 2.0], &[1.0]) - 3.0).abs() < 1e-14);
    }
}
