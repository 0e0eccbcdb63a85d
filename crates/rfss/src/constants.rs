//! What a whole phase grid says about the paper's unknown constants
//! (docs/THEORY.md §2): c_hyp per law, the lowest worst-target success
//! (c_thm), and how n_50 compares with the first-moment n and Theorem 5's,
//! over the points that are not censored.

use crate::experiment::PhaseSummary;
use serde::Serialize;
use std::collections::BTreeMap;

/// Values measured at several points: their median (the upper one for an
/// even count), smallest, largest and count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// The middle value (upper median).
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// How many values.
    pub count: usize,
}

impl Spread {
    /// The spread of `values`; `None` for none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Spread { median: *v.get(v.len() / 2)?, min: v[0], max: v[v.len() - 1], count: v.len() })
    }
}

/// The lowest success probability of a law's worst fixed targets, and
/// where it was measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LowestWorst {
    /// The success share (an estimate of c_thm).
    pub p: f64,
    /// Its 95% Wilson interval.
    pub interval: (f64, f64),
    /// The subset size of that point.
    pub k: usize,
    /// Its tolerance.
    pub eps: f64,
}

/// The constants a phase grid estimates, keyed by the law's name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Constants {
    /// c_hyp = n_50 / (log2(k/ε)/H2(k/n_50)) per law.
    pub c_hyp: BTreeMap<String, Spread>,
    /// Per law, the lowest worst-target success at n ≈ n_50.
    pub c_thm: BTreeMap<String, LowestWorst>,
    /// n_50 over the first-moment n at z = 0.
    pub n50_over_first_moment: Option<Spread>,
    /// n_50 over Theorem 5's n (d = 1).
    pub n50_over_theorem5: Option<Spread>,
    /// The bits at n_50, n·H2(k/n), over the bits Theorem 5 asks for,
    /// ½·log2(k/ε).
    pub bits_over_theorem5: Option<Spread>,
    /// Points censored at n = 2k (left out of everything above).
    pub censored: usize,
}

/// The constants of a phase grid's `summaries` (as [`crate::grid::phase_grid`]
/// returns them).
pub fn constants(summaries: &[PhaseSummary]) -> Constants {
    let mut c_hyp: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut c_thm: BTreeMap<String, LowestWorst> = BTreeMap::new();
    let (mut first, mut t5, mut bits) = (Vec::new(), Vec::new(), Vec::new());
    for r in summaries {
        if let (Some(n50), Some(b)) = (r.n50, r.bits_over_theorem5()) {
            t5.push(n50 / r.theorem5_n as f64);
            bits.push(b);
            first.push(n50 / r.first_moment_n as f64);
        }
        if let Some(c) = r.c_hyp {
            c_hyp.entry(r.dist.to_string()).or_default().push(c);
        }
        if let Some(w) = &r.worst {
            let here = LowestWorst { p: w.point.p(), interval: w.point.interval(), k: r.k, eps: r.eps };
            // The first point wins a tie, in grid order.
            let lowest = c_thm.entry(r.dist.to_string()).or_insert_with(|| here.clone());
            if here.p < lowest.p {
                *lowest = here;
            }
        }
    }
    Constants {
        c_hyp: c_hyp.iter().filter_map(|(d, v)| Some((d.clone(), Spread::of(v)?))).collect(),
        c_thm,
        n50_over_first_moment: Spread::of(&first),
        n50_over_theorem5: Spread::of(&t5),
        bits_over_theorem5: Spread::of(&bits),
        censored: summaries.iter().filter(|r| r.censored).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid;

    #[test]
    fn spreads_take_the_upper_median() {
        assert_eq!(Spread::of(&[]), None);
        let s = Spread::of(&[3.0, 1.0, 4.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.count), (3.0, 1.0, 4.0, 4));
    }

    #[test]
    fn constants_agree_with_the_summaries_they_come_from() {
        let g = grid::PhaseGrid {
            grid: grid::Grid {
                dists: vec![crate::Dist::Uniform],
                ks: vec![1, 2, 8],
                eps: vec![0.1],
                ns: None,
                trials: 40,
                seed: 3,
            },
            fixed_target: None,
            worst_targets: 5,
            max_nodes: 1_000_000,
            also: vec![],
        };
        let s = grid::phase_grid(&g, &|| {}).unwrap();
        let c = constants(&s);
        let measured: Vec<f64> = s.iter().filter_map(|r| r.c_hyp).collect();
        let spread = &c.c_hyp["uniform"];
        assert_eq!(spread.count, measured.len());
        assert!(measured.iter().all(|&v| spread.min <= v && v <= spread.max));
        assert!(measured.contains(&spread.median));
        assert_eq!(c.censored, s.iter().filter(|r| r.censored).count());
        let worst: Vec<f64> = s.iter().filter_map(|r| r.worst.as_ref().map(|w| w.point.p())).collect();
        assert_eq!(c.c_thm["uniform"].p, worst.iter().copied().fold(f64::INFINITY, f64::min));
        // c_hyp is the bits' ratio over two: the two spreads agree.
        let bits = c.bits_over_theorem5.unwrap();
        assert_eq!(bits.median, 2.0 * spread.median);
    }
}
