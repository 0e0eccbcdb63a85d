//! Spectral norms for the error certificate (PAPER.md §3, step 6).

/// ‖M‖₂ of a row-major `rows × cols` matrix by power iteration on MᵀM, in
/// f64, from a fixed start vector, until the estimate changes by less than
/// 1e-12 relative (at most 2,000 steps). Power iteration approaches ‖M‖₂
/// from below; the result is multiplied by 1 + 1e-6 to cover the gap left
/// at convergence.
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
    est * (1.0 + 1e-6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_norms() {
        // diag(3, −2): ‖·‖₂ = 3.
        assert!((spectral_norm(&[3.0, 0.0, 0.0, -2.0], 2, 2) - 3.0).abs() < 1e-5);
        // Rank one u vᵀ: ‖u‖·‖v‖ = √5 · √2.
        let m = [1.0, 1.0, 2.0, 2.0];
        assert!((spectral_norm(&m, 2, 2) - (10f64).sqrt()).abs() < 1e-5);
        // [[1, 2], [3, 4]]: sqrt((30 + sqrt(884)) / 2).
        let exact = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
        assert!((spectral_norm(&[1.0, 2.0, 3.0, 4.0], 2, 2) - exact).abs() < 1e-5);
        assert_eq!(spectral_norm(&[0.0; 6], 2, 3), 0.0);
    }

    #[test]
    fn never_below_any_rayleigh_quotient() {
        // ‖Mx‖/‖x‖ ≤ ‖M‖₂ for every x: check against many random x.
        let (rows, cols) = (7, 5);
        let m: Vec<f64> = (0..rows * cols).map(|i| crate::weights::uniform_weight(3, 0, i as u64)).collect();
        let s = spectral_norm(&m, rows, cols);
        for t in 0..200u64 {
            let x: Vec<f64> = (0..cols).map(|i| crate::weights::uniform_weight(4, t, i as u64)).collect();
            let mx: f64 = (0..rows).map(|r| (0..cols).map(|c| m[r * cols + c] * x[c]).sum::<f64>().powi(2)).sum();
            let xx: f64 = x.iter().map(|v| v * v).sum();
            assert!((mx / xx).sqrt() <= s);
        }
    }
}
