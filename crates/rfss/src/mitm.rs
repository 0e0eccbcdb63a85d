//! Meet in the middle, split by subset size (docs/THEORY.md §2, optimisation
//! version).
//!
//! The sorted samples are cut into halves A and B. For every size j, the
//! sums of the j-subsets of each half are listed in ascending order, built
//! element by element by merging L_j with L_{j−1} + x (Horowitz–Sahni, kept
//! per size), so a half of m samples costs O(2^m) time and no sort. A
//! k-subset is a j-subset of A plus a (k−j)-subset of B, and for each j the
//! pair closest to z is found by one two-pointer pass over the two sorted
//! lists. The result is exact: every k-subset is one such pair.

/// One subset sum of a half and the subset as a bit mask of positions.
type Entry = (f64, u64);

/// Σ_{j=0}^{jmax} C(m, j): how many entries the lists of a half hold.
pub(crate) fn entries(m: usize, jmax: usize) -> f64 {
    let mut c = 1.0f64;
    let mut total = 1.0f64;
    for j in 1..=jmax.min(m) {
        c = c * (m + 1 - j) as f64 / j as f64;
        total += c;
    }
    total
}

/// The entries that [`closest`] would build for n sorted samples and size k.
pub(crate) fn cost(n: usize, k: usize) -> f64 {
    let na = n / 2;
    let nb = n - na;
    entries(na, k.min(na)) + entries(nb, k.min(nb))
}

/// Binomial coefficients C(m, j) for j = 0..=jmax.
fn binomials(m: usize, jmax: usize) -> Vec<usize> {
    let mut c = vec![1usize; jmax.min(m) + 1];
    for j in 1..c.len() {
        c[j] = c[j - 1] * (m + 1 - j) / j;
    }
    c
}

/// Sorted lists of the j-subset sums of `vals`, j = 0..=jmax, laid out one
/// after the other in `buf` (resized to fit; list j starts at `offsets[j]`
/// and holds C(m, j) entries). Each list gets its final room up front and
/// is merged in place from the back, so nothing is reallocated.
fn sized_sums(vals: &[f64], jmax: usize, buf: &mut Vec<Entry>) -> Vec<usize> {
    let sizes = binomials(vals.len(), jmax);
    let mut offsets = Vec::with_capacity(sizes.len() + 1);
    offsets.push(0);
    for s in &sizes {
        offsets.push(offsets.last().unwrap() + s);
    }
    buf.clear();
    buf.resize(*offsets.last().unwrap(), (0.0, 0));
    let mut len = vec![0usize; sizes.len()];
    len[0] = 1; // the empty subset, sum 0
    for (t, &x) in vals.iter().enumerate() {
        let bit = 1u64 << t;
        for j in (1..=(t + 1).min(sizes.len() - 1)).rev() {
            // Merge list j (old) with list j−1 shifted by x, from the back.
            let (lower, upper) = buf.split_at_mut(offsets[j]);
            let shifted = &lower[offsets[j - 1]..offsets[j - 1] + len[j - 1]];
            let list = &mut upper[..len[j] + shifted.len()];
            let (mut a, mut b, mut w) = (len[j], shifted.len(), len[j] + shifted.len());
            while b > 0 {
                let s = shifted[b - 1].0 + x;
                w -= 1;
                if a > 0 && list[a - 1].0 > s {
                    list[w] = list[a - 1];
                    a -= 1;
                } else {
                    list[w] = (s, shifted[b - 1].1 | bit);
                    b -= 1;
                }
            }
            len[j] += shifted.len();
        }
    }
    debug_assert_eq!(len, sizes);
    offsets
}

/// The list buffers of both halves, kept between solves so that large
/// instances do not map and fault fresh memory each time.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    a: Vec<Entry>,
    b: Vec<Entry>,
}

/// The k-subset of sorted samples `xs` (n ≤ 128) whose computed sum is
/// closest to `z`: its positions (ascending) and computed gap.
pub(crate) fn closest(xs: &[f64], k: usize, z: f64, bufs: &mut Buffers) -> (Vec<u32>, f64) {
    let n = xs.len();
    let na = n / 2;
    let nb = n - na;
    let (abuf, bbuf) = (&mut bufs.a, &mut bufs.b);
    let aoff = sized_sums(&xs[..na], k.min(na), abuf);
    let boff = sized_sums(&xs[na..], k.min(nb), bbuf);
    let mut best = (f64::INFINITY, 0u64, 0u64);
    for j in k.saturating_sub(nb)..=k.min(na) {
        let (a, b) = (&abuf[aoff[j]..aoff[j + 1]], &bbuf[boff[k - j]..boff[k - j + 1]]);
        let (mut i, mut p) = (0usize, b.len());
        while i < a.len() && p > 0 {
            let d = a[i].0 + b[p - 1].0 - z;
            if d.abs() < best.0 {
                best = (d.abs(), a[i].1, b[p - 1].1);
            }
            let up = d < 0.0;
            i += usize::from(up);
            p -= usize::from(!up);
        }
    }
    let positions = (0..na)
        .filter(|t| best.1 >> t & 1 == 1)
        .chain((0..nb).filter(|t| best.2 >> t & 1 == 1).map(|t| t + na))
        .map(|p| p as u32)
        .collect();
    (positions, best.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_complete() {
        let vals = [0.5, -0.25, 0.125, 1.0, -2.0];
        let mut buf = Vec::new();
        let off = sized_sums(&vals, 5, &mut buf);
        for j in 0..=5 {
            let l = &buf[off[j]..off[j + 1]];
            assert_eq!(l.len(), [1, 5, 10, 10, 5, 1][j]);
            assert!(l.windows(2).all(|w| w[0].0 <= w[1].0));
            for &(s, m) in l {
                assert_eq!(m.count_ones() as usize, j);
                let direct: f64 = (0..5).filter(|t| m >> t & 1 == 1).map(|t| vals[t]).sum();
                assert_eq!(s, direct); // dyadic values: exact
            }
        }
    }

    #[test]
    fn entry_counts() {
        assert_eq!(entries(4, 4), 16.0);
        assert_eq!(entries(5, 2), 1.0 + 5.0 + 10.0);
        assert_eq!(entries(3, 9), 8.0);
    }
}
