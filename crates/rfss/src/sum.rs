//! Compensated summation, used to verify every reported sum and gap.

/// Neumaier's compensated sum of `values`.
///
/// The error is bounded by about 2·u·Σ|x| + u·|Σx| with u = 2⁻⁵³, independent
/// of the number of terms for the sizes sslth uses, instead of the (n−1)·u·Σ|x|
/// of a plain left-to-right sum. Every sum and gap that the solver reports is
/// recomputed with it (ARCHITECTURE.md, Numbers).
pub fn neumaier<I: IntoIterator<Item = f64>>(values: I) -> f64 {
    let mut sum = 0.0f64;
    let mut comp = 0.0f64;
    for x in values {
        let t = sum + x;
        if sum.abs() >= x.abs() {
            comp += (sum - t) + x;
        } else {
            comp += (x - t) + sum;
        }
        sum = t;
    }
    sum + comp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_what_a_plain_sum_loses() {
        // 1 + 1e100 + 1 − 1e100 = 2 exactly; a naive sum returns 0.
        let v = [1.0, 1e100, 1.0, -1e100];
        assert_eq!(v.iter().sum::<f64>(), 0.0);
        assert_eq!(neumaier(v), 2.0);
    }

    #[test]
    fn exact_on_dyadic_values() {
        let v: Vec<f64> = (0..1000).map(|i| (i as f64) * 0.25 - 100.0).collect();
        let exact: f64 = (0..1000).map(|i| i as f64).sum::<f64>() * 0.25 - 100_000.0;
        assert_eq!(neumaier(v), exact);
    }
}
