//! The solver against brute-force enumeration (`rfss::brute`), an
//! independent oracle.

use proptest::prelude::*;
use rfss::brute::{best_gap, count_within};
use rfss::{draw, neumaier, Answer, Budget, Dist, Instance, Mode, Solver, Status};

/// Structural checks every answer must pass, whatever the status.
fn check_shape(inst: &Instance, a: &Answer) {
    assert_eq!(a.subset.len(), inst.k, "subset size");
    assert!(a.subset.windows(2).all(|w| w[0] < w[1]), "ascending, distinct");
    assert!(a.subset.iter().all(|&i| i < inst.n()));
    assert_eq!(a.sum, neumaier(a.subset.iter().map(|&i| inst.samples[i])));
    assert_eq!(a.gap, (a.sum - inst.target).abs());
    assert_eq!(a.found(), a.status == Status::Found);
}

/// Checks both modes of `solver` on `inst` against enumeration.
fn check_against_oracle(solver: &mut Solver, inst: &Instance) {
    let oracle_best = best_gap(&inst.samples, inst.k, inst.target);
    let oracle_count = count_within(&inst.samples, inst.k, inst.target, inst.eps);

    let best = solver.solve(inst, Mode::Best).unwrap();
    check_shape(inst, &best);
    assert!(best.optimal);
    assert!((best.gap - oracle_best).abs() <= 1e-12, "best gap {} vs oracle {}", best.gap, oracle_best);
    assert_eq!(best.found(), oracle_count > 0);

    let within = solver.solve(inst, Mode::Within).unwrap();
    check_shape(inst, &within);
    match within.status {
        Status::Found => assert!(within.gap < inst.eps && oracle_count > 0),
        Status::None => assert_eq!(oracle_count, 0, "claimed none, oracle counts {oracle_count}"),
        Status::Unknown => panic!("unknown without a budget"),
    }
    if within.optimal {
        assert!((within.gap - oracle_best).abs() <= 1e-12);
    }
}

/// Samples from a small grid of dyadic values: many duplicates, zeros and
/// exact ties, and sums that are exact in f64.
fn grid_samples() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-8i32..=8).prop_map(|v| v as f64 * 0.125), 1..=18)
}

fn real_samples() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0f64..1.0, 1..=18)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn grid_instances_match_enumeration(
        samples in grid_samples(), kf in 0.0f64..1.0, zq in -24i32..=24, eq in 1i32..=6,
    ) {
        let k = 1 + (kf * samples.len() as f64) as usize;
        let inst = Instance::new(samples, k.min(18), zq as f64 * 0.0625, eq as f64 * 0.0625).unwrap();
        if inst.k <= inst.n() {
            check_against_oracle(&mut Solver::new(Budget::default()), &inst);
            check_against_oracle(&mut Solver::new(Budget::default()).with_mitm_max_entries(0.0), &inst);
        }
    }

    #[test]
    fn real_instances_match_enumeration(
        samples in real_samples(), kf in 0.0f64..1.0, z in -3.0f64..3.0, eps in 1e-4f64..0.3,
    ) {
        let k = (1 + (kf * samples.len() as f64) as usize).min(samples.len());
        let inst = Instance::new(samples, k, z, eps).unwrap();
        check_against_oracle(&mut Solver::new(Budget::default()), &inst);
        check_against_oracle(&mut Solver::new(Budget::default()).with_mitm_max_entries(0.0), &inst);
    }
}

#[test]
fn every_k_on_one_instance_with_duplicates_and_zeros() {
    let mut samples = draw(Dist::Product, 14, 5, 0);
    samples.extend([0.0, 0.0, samples[3], -samples[4]]);
    for k in 1..=samples.len() {
        for z in [-1.0, -0.2, 0.0, 0.05, 0.7, 2.5] {
            let inst = Instance::new(samples.clone(), k, z, 0.01).unwrap();
            check_against_oracle(&mut Solver::new(Budget::default()), &inst);
        }
    }
}

/// `none` at n = 64 (product samples, ε = 1e-4) is proved, not guessed: for
/// small k enumeration is cheap enough to confirm every claim.
#[test]
fn none_proofs_at_n64_are_confirmed_by_enumeration() {
    let mut nones = 0;
    for seed in 0..40u64 {
        let samples = draw(Dist::Product, 64, 11, seed);
        for k in [1usize, 2, 3] {
            let z = rfss::symmetric_unit(&mut rfss::rng(12, seed * 4 + k as u64)) * 0.4;
            let inst = Instance::new(samples.clone(), k, z, 1e-4).unwrap();
            let a = rfss::solve(&inst, Mode::Within).unwrap();
            check_shape(&inst, &a);
            let count = count_within(&samples, k, z, 1e-4);
            assert_eq!(a.found(), count > 0, "seed {seed} k {k}");
            assert_ne!(a.status, Status::Unknown);
            nones += usize::from(a.status == Status::None);
        }
    }
    assert!(nones > 20, "the test should exercise none proofs ({nones})");
}

/// Meet in the middle and branch and bound, two different exact methods,
/// agree on the optimum at sizes enumeration cannot reach.
#[test]
fn best_mode_methods_agree_beyond_enumeration() {
    for seed in 0..12u64 {
        let n = 24 + (seed as usize % 3) * 4;
        let samples = draw(Dist::Product, n, 21, seed);
        for k in [5, 7, n / 4] {
            let inst = Instance::new(samples.clone(), k, 0.1 * seed as f64 - 0.5, 1e-3).unwrap();
            let a = Solver::new(Budget::default()).solve(&inst, Mode::Best).unwrap();
            let b = Solver::new(Budget::default()).with_mitm_max_entries(0.0).solve(&inst, Mode::Best).unwrap();
            assert!(a.optimal && b.optimal);
            assert!((a.gap - b.gap).abs() <= 1e-12, "n {n} k {k}: {} vs {}", a.gap, b.gap);
        }
    }
}

/// Within mode at n = 40 agrees with the optimum: found just above it, none
/// just below it.
#[test]
fn within_brackets_the_optimum() {
    for seed in 0..8u64 {
        let samples = draw(Dist::Uniform, 40, 3, seed);
        let k = [3, 10, 20][seed as usize % 3];
        let z = 0.3 * seed as f64 - 1.0;
        let opt = rfss::solve(&Instance::new(samples.clone(), k, z, 1.0).unwrap(), Mode::Best).unwrap();
        assert!(opt.optimal && opt.gap > 0.0);
        let above = Instance::new(samples.clone(), k, z, opt.gap * (1.0 + 1e-6)).unwrap();
        assert_eq!(rfss::solve(&above, Mode::Within).unwrap().status, Status::Found);
        let below = Instance::new(samples.clone(), k, z, opt.gap * (1.0 - 1e-6)).unwrap();
        assert_eq!(rfss::solve(&below, Mode::Within).unwrap().status, Status::None);
    }
}

#[test]
fn budget_gives_unknown_not_a_wrong_answer() {
    // Integers cannot sum to a half-integer: no subset is within 0.1, and
    // with a tiny node budget the solver must say unknown, not none.
    let samples: Vec<f64> = (0..60).map(|i| (i % 7) as f64).collect();
    let inst = Instance::new(samples, 20, 50.5, 0.1).unwrap();
    let budget = Budget { max_nodes: Some(1000), time_limit: None };
    for mode in [Mode::Within, Mode::Best] {
        let a = Solver::new(budget).solve(&inst, mode).unwrap();
        assert_eq!(a.status, Status::Unknown, "{mode}");
        assert!(!a.optimal);
        check_shape(&inst, &a);
    }
}

#[test]
fn invalid_instances_are_rejected() {
    use rfss::InstanceError as E;
    assert_eq!(Instance::new(vec![], 1, 0.0, 0.1), Err(E::NoSamples));
    assert_eq!(Instance::new(vec![0.1, f64::NAN], 1, 0.0, 0.1), Err(E::NonFiniteSample { index: 1 }));
    assert_eq!(Instance::new(vec![f64::INFINITY], 1, 0.0, 0.1), Err(E::NonFiniteSample { index: 0 }));
    assert_eq!(Instance::new(vec![1e308, 1e308], 1, 0.0, 0.1), Err(E::SamplesOverflow));
    assert_eq!(Instance::new(vec![0.1], 0, 0.0, 0.1), Err(E::BadK { k: 0, n: 1 }));
    assert_eq!(Instance::new(vec![0.1], 2, 0.0, 0.1), Err(E::BadK { k: 2, n: 1 }));
    assert_eq!(Instance::new(vec![0.1], 1, f64::NAN, 0.1), Err(E::NonFiniteTarget));
    assert_eq!(Instance::new(vec![0.1], 1, 0.0, 0.0), Err(E::BadEps(0.0)));
    assert_eq!(Instance::new(vec![0.1], 1, 0.0, -1.0), Err(E::BadEps(-1.0)));
    let bad = Instance { samples: vec![0.1], k: 3, target: 0.0, eps: 0.1 };
    assert!(rfss::solve(&bad, Mode::Best).is_err());
}

#[test]
fn an_observer_sees_progress_and_can_stop_with_the_best_so_far() {
    use rfss::{Control, Mode, Solver};
    // A hard best-mode instance: n = 60, k = 30, far beyond meet in the
    // middle's memory cap, so branch and bound runs and is observed.
    let samples = rfss::draw(rfss::Dist::Uniform, 60, 3, 0);
    let inst = rfss::Instance::new(samples.clone(), 30, 0.123, 1e-14).unwrap();
    let mut calls = Vec::new();
    let mut observer = |p: &rfss::Progress| {
        calls.push(p.nodes);
        if calls.len() == 3 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let a = Solver::new(Default::default()).solve_observed(&inst, Mode::Best, &mut observer).unwrap();
    assert_eq!(calls.len(), 3);
    assert!(calls.windows(2).all(|w| w[1] > w[0]));
    assert!(!a.optimal);
    assert_eq!(a.subset.len(), 30);
    let sum: f64 = a.subset.iter().map(|&i| samples[i]).sum();
    assert!((sum - a.sum).abs() < 1e-12 && (a.gap - (sum - 0.123).abs()).abs() < 1e-12);
    // An observer that never stops changes nothing.
    let easy = rfss::Instance::new(samples[..20].to_vec(), 5, 0.3, 1e-3).unwrap();
    let plain = Solver::new(Default::default()).solve(&easy, Mode::Best).unwrap();
    let seen = Solver::new(Default::default()).solve_observed(&easy, Mode::Best, &mut |_| Control::Continue).unwrap();
    assert_eq!(plain, seen);
}
