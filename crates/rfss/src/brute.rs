//! Brute-force enumeration of all k-subsets: the independent oracle that the
//! tests and experiments check the solver against. Exponential; small n only.

use crate::sum::neumaier;

/// Calls `visit(subset, sum)` for every k-subset of `samples`, in
/// lexicographic order of the (ascending) index lists; sums are compensated.
pub fn for_each_subset(samples: &[f64], k: usize, mut visit: impl FnMut(&[usize], f64)) {
    let n = samples.len();
    if k == 0 || k > n {
        return;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        visit(&idx, neumaier(idx.iter().map(|&i| samples[i])));
        // Next combination: the rightmost index that can still move right.
        let Some(i) = (0..k).rev().find(|&i| idx[i] < n - k + i) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// The smallest |Σ_S − z| over all k-subsets, by enumeration.
pub fn best_gap(samples: &[f64], k: usize, z: f64) -> f64 {
    let mut best = f64::INFINITY;
    for_each_subset(samples, k, |_, s| best = best.min((s - z).abs()));
    best
}

/// How many k-subsets have |Σ_S − z| < ε, by enumeration.
pub fn count_within(samples: &[f64], k: usize, z: f64, eps: f64) -> u64 {
    let mut count = 0;
    for_each_subset(samples, k, |_, s| count += u64::from((s - z).abs() < eps));
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_every_subset_once() {
        for n in 1..9usize {
            for k in 1..=n {
                let mut seen = std::collections::HashSet::new();
                for_each_subset(&vec![0.0; n], k, |s, _| {
                    assert_eq!(s.len(), k);
                    assert!(s.windows(2).all(|w| w[0] < w[1]));
                    assert!(seen.insert(s.to_vec()));
                });
                let binom = (0..k).fold(1u64, |c, i| c * (n - i) as u64 / (i as u64 + 1));
                assert_eq!(seen.len() as u64, binom, "n={n} k={k}");
            }
        }
    }

    #[test]
    fn hand_values() {
        let x = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(best_gap(&x, 2, 6.2), 0.20000000000000018);
        assert_eq!(count_within(&x, 2, 6.0, 0.5), 1);
        assert_eq!(count_within(&x, 3, 10.0, 3.5), 3); // sums 7, 11, 13, 14: the first three are within 3.5 of 10
    }
}
