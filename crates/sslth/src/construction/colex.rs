//! The first solution of an RFSS instance in colex order of its subsets
//! (docs/FORMAT.md, "Subset ranks"): the cheap first try of every
//! instance the engine solves, whose rank a compact file stores.

/// How many k-subsets [`first_in_colex`] tries before handing the
/// instance to the exact solver: with the tolerances in use a solution
/// typically turns up within a few hundred (Theorem 5's floor is about
/// 2⁷ subsets per solution), so this only bounds the rare hard instance.
pub(super) const COLEX_TRIES: u64 = 1 << 16;

/// The k-subset of smallest colex rank (docs/FORMAT.md, "Subset ranks")
/// whose sum, taken in ascending order as the build takes it, is within
/// `eps` of `target`, if one is among the first `COLEX_TRIES`. A compact
/// file stores each instance's rank with a code whose length grows with
/// the rank's logarithm, so the first solution in colex order costs about
/// log2(subsets per solution) bits, near Theorem 5's floor, where an
/// arbitrary solution would cost log2 C(m, k) (docs/THEORY.md §5).
///
/// Colex order visits every subset of the first p samples before any that
/// uses sample p: it chooses c_{k−1} first (ascending), then c_{k−2} below
/// it, and so on, and the subset's rank is Σ_t C(c_t, t + 1). The search
/// walks that order depth first, summing s_{c_t} + (s_{c_{t+1}} + …) as it
/// descends, and skips a whole subtree (c_t fixed with every choice below
/// it) when the t samples still to choose, all below c_t, cannot bring the
/// sum within `eps` of `target`: their sum lies between the t smallest and
/// the t largest of the first c_t samples (a bound widened by far more
/// than any rounding). Skipping a subtree that holds no solution leaves the
/// first solution in colex order unchanged; the ranks beyond
/// `COLEX_TRIES` are never tried.
pub fn first_in_colex<'s>(
    scratch: &'s mut ColexScratch,
    samples: &[f64],
    k: usize,
    target: f64,
    eps: f64,
) -> Option<&'s [usize]> {
    let m = samples.len();
    if k == 0 || k > m {
        return None;
    }
    let ColexScratch { c, bounds } = scratch;
    c.clear();
    c.resize(k, 0);
    bounds.reset(k);
    let slack = 1e-9 * (samples.iter().map(|s| s.abs()).sum::<f64>() + target.abs());
    let mut search = ColexSearch { samples, target, eps, slack, bounds, c };
    match search.level(k - 1, m, 0.0, 0) {
        Walk::Found => Some(c),
        Walk::Stop | Walk::Exhausted => None,
    }
}

/// Buffers [`first_in_colex`] reuses from one instance to the next (a
/// build keeps one per thread).
#[derive(Default)]
pub struct ColexScratch {
    /// The subset c_0 < … < c_{k−1} being tried.
    c: Vec<usize>,
    bounds: PrefixBounds,
}

/// How a walk in colex order (or a subtree of it) ended.
enum Walk {
    /// A subset within tolerance.
    Found,
    /// Every rank from here on is at least [`COLEX_TRIES`].
    Stop,
    /// No subset of the subtree is within tolerance.
    Exhausted,
}

/// Sums of the t smallest and the t largest of the first p samples, for
/// t ≤ k and every p the walk has reached: rows are added as the walk's
/// top choice c_{k−1} moves on (the levels below it read rows p < c_{k−1}
/// only), so an instance solved early pays for the few samples it saw.
#[derive(Default)]
struct PrefixBounds {
    k: usize,
    /// The samples of the rows so far, ascending.
    sorted: Vec<f64>,
    low: Vec<f64>,
    high: Vec<f64>,
}

impl PrefixBounds {
    /// No sample yet: row 0 alone.
    fn reset(&mut self, k: usize) {
        self.k = k;
        self.sorted.clear();
        self.low.clear();
        self.low.resize(k + 1, 0.0);
        self.high.clear();
        self.high.resize(k + 1, 0.0);
    }

    /// Adds rows up to p (row 0, no sample, is there from the start).
    fn reach(&mut self, samples: &[f64], p: usize) {
        let width = self.k + 1;
        for q in self.low.len() / width..=p {
            let s = samples[q - 1];
            let at = self.sorted.partition_point(|&x| x < s);
            self.sorted.insert(at, s);
            self.low.resize((q + 1) * width, 0.0);
            self.high.resize((q + 1) * width, 0.0);
            for t in 1..=self.k.min(q) {
                self.low[q * width + t] = self.low[q * width + t - 1] + self.sorted[t - 1];
                self.high[q * width + t] = self.high[q * width + t - 1] + self.sorted[q - t];
            }
        }
    }

    /// (smallest, largest) sum of t of the first p samples.
    fn range(&self, p: usize, t: usize) -> (f64, f64) {
        let at = p * (self.k + 1) + t;
        (self.low[at], self.high[at])
    }
}

/// The state of [`first_in_colex`]'s walk.
struct ColexSearch<'a> {
    samples: &'a [f64],
    target: f64,
    eps: f64,
    slack: f64,
    bounds: &'a mut PrefixBounds,
    c: &'a mut Vec<usize>,
}

impl ColexSearch<'_> {
    /// Chooses c_t < `upper` in ascending order, given the sum `above` of
    /// the samples chosen above it (s_{c_{t+1}} + (… )) and the rank
    /// `rank` those contribute.
    fn level(&mut self, t: usize, upper: usize, above: f64, rank: u64) -> Walk {
        match t {
            0 => return self.last(upper, above, rank),
            1 => return self.pairs(upper, above, rank),
            _ => {}
        }
        for ct in t..upper {
            let here = rank + binomial_capped(ct, t + 1);
            if here >= COLEX_TRIES {
                return Walk::Stop;
            }
            self.c[t] = ct;
            let sum = self.samples[ct] + above;
            if t + 1 == self.c.len() {
                self.bounds.reach(self.samples, ct);
            }
            let (lo, hi) = self.bounds.range(ct, t);
            let need = self.target - sum;
            if need < lo - self.eps - self.slack || need > hi + self.eps + self.slack {
                continue;
            }
            match self.level(t - 1, ct, sum, here) {
                Walk::Exhausted => {}
                done => return done,
            }
        }
        Walk::Exhausted
    }

    /// [`ColexSearch::level`] for c_1, where the rank is `rank` plus
    /// C(c_1, 2) plus c_0 and the bounds are the smallest and largest of
    /// the first c_1 samples: the same walk with the rank's binomial in
    /// closed form.
    fn pairs(&mut self, upper: usize, above: f64, rank: u64) -> Walk {
        let (margin, tries) = (self.eps + self.slack, COLEX_TRIES);
        let width = self.bounds.k + 1;
        for c1 in 1..upper {
            let here = rank + (c1 * (c1 - 1) / 2) as u64;
            if here >= tries {
                return Walk::Stop;
            }
            self.c[1] = c1;
            let sum = self.samples[c1] + above;
            if self.c.len() == 2 {
                self.bounds.reach(self.samples, c1);
            }
            let (lo, hi) = (self.bounds.low[c1 * width + 1], self.bounds.high[c1 * width + 1]);
            let need = self.target - sum;
            if need < lo - margin || need > hi + margin {
                continue;
            }
            match self.last(c1, sum, here) {
                Walk::Exhausted => {}
                done => return done,
            }
        }
        Walk::Exhausted
    }

    /// [`ColexSearch::level`] for c_0, where the rank is `rank` + c_0 (the
    /// caller's `rank` is below [`COLEX_TRIES`]): the first c_0 whose sum
    /// is within `eps`, in one loop.
    fn last(&mut self, upper: usize, above: f64, rank: u64) -> Walk {
        let room = (COLEX_TRIES - rank).min(upper as u64) as usize;
        for (c0, &s) in self.samples[..room].iter().enumerate() {
            if (s + above - self.target).abs() < self.eps {
                self.c[0] = c0;
                let exact: f64 = self.c.iter().map(|&j| self.samples[j]).sum();
                if (exact - self.target).abs() < self.eps {
                    return Walk::Found;
                }
            }
        }
        if room < upper {
            Walk::Stop
        } else {
            Walk::Exhausted
        }
    }
}

/// C(n, j), saturating at [`COLEX_TRIES`] (all a rank is compared with),
/// from a table made once for the sides the sizing makes (n ≤ 4096,
/// its `MAX_N`) and j ≤ 33.
fn binomial_capped(n: usize, j: usize) -> u64 {
    static TABLE: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    const N: usize = 4096;
    const J: usize = 34;
    if n <= N && j < J {
        let table = TABLE.get_or_init(|| (0..=N).flat_map(|n| (0..J).map(move |j| binomial_direct(n, j))).collect());
        return table[n * J + j];
    }
    binomial_direct(n, j)
}

/// [`binomial_capped`] computed.
fn binomial_direct(n: usize, j: usize) -> u64 {
    let cap = COLEX_TRIES;
    if j > n {
        return 0;
    }
    let mut b: u64 = 1;
    for i in 0..j.min(n - j) as u64 {
        // b·(n − i)/(i + 1) is C(n, i + 1), exact; the sequence rises.
        b = b * (n as u64 - i) / (i + 1);
        if b >= cap {
            return cap;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::uniform_weight;

    /// The first `tries` subsets in colex order, one successor step at a
    /// time (the successor of c_0 < … < c_{k−1} raises the lowest c_t that
    /// can rise and resets c_0 … c_{t−1} to 0 … t − 1): the first within
    /// `eps`, if any.
    fn colex_walk(samples: &[f64], k: usize, target: f64, eps: f64, tries: u64) -> Option<Vec<usize>> {
        let m = samples.len();
        let mut c: Vec<usize> = (0..k).collect();
        for _ in 0..tries {
            let sum: f64 = c.iter().map(|&i| samples[i]).sum();
            if (sum - target).abs() < eps {
                return Some(c);
            }
            let t = (0..k).find(|&t| c[t] + 1 < if t + 1 < k { c[t + 1] } else { m })?;
            c[t] += 1;
            for (i, ci) in c[..t].iter_mut().enumerate() {
                *ci = i;
            }
        }
        None
    }

    #[test]
    fn the_pruned_walk_finds_what_stepping_through_colex_order_finds() {
        // Larger sides and k than enumeration affords, tolerances from
        // easy to hopeless (then both give up at COLEX_TRIES): the pruned
        // walk against the plain one, which tries every rank in order; one
        // scratch for every instance, as a build's thread keeps one.
        let (mut deep, mut scratch) = (0, ColexScratch::default());
        for t in 0..400u64 {
            let m = 14 + (t % 23) as usize;
            let k = 2 + (t as usize / 23) % 8;
            let samples: Vec<f64> = (0..m).map(|i| uniform_weight(t, 3, i as u64)).collect();
            let target = uniform_weight(t, 4, 0) * (k as f64).sqrt();
            let eps = [0.05, 0.005, 0.0005, 1e-6][(t % 4) as usize];
            let plain = colex_walk(&samples, k, target, eps, COLEX_TRIES);
            deep += usize::from(colex_walk(&samples, k, target, eps, 512).is_none());
            let pruned = first_in_colex(&mut scratch, &samples, k, target, eps).map(<[usize]>::to_vec);
            assert_eq!(pruned, plain, "m {m}, k {k}, eps {eps}");
        }
        assert!(deep > 100, "only {deep} instances needed more than 512 subsets");
    }

    /// Against enumeration: the subsets in colex order (by rank), the
    /// first within ε, on random instances.
    #[test]
    fn first_in_colex_is_the_smallest_rank_within_eps() {
        for t in 0..300u64 {
            let m = 3 + (t % 10) as usize;
            let k = 1 + (t as usize / 10) % m.min(5);
            let samples: Vec<f64> = (0..m).map(|i| uniform_weight(t, 0, i as u64)).collect();
            let target = uniform_weight(t, 1, 0) * (k as f64).sqrt();
            let eps = 0.02 + 0.1 * uniform_weight(t, 2, 0).abs();
            let count = crate::ticket::subsets::binomial(m, k).unwrap();
            let oracle = (0..count).map(|r| crate::ticket::subsets::unrank(r, m, k)).find(|c| {
                let s: f64 = c.iter().map(|&i| samples[i]).sum();
                (s - target).abs() < eps
            });
            assert_eq!(
                first_in_colex(&mut ColexScratch::default(), &samples, k, target, eps).map(<[usize]>::to_vec),
                oracle,
                "m {m}, k {k}, target {target}"
            );
        }
    }
}
