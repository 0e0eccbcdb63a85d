use rfss::*;
fn main() {
    let args: Vec<usize> = std::env::args().skip(1).take(3).map(|s| s.parse().unwrap()).collect();
    let (n, k, reps) = (args[0], args[1], args[2]);
    let cap: f64 = std::env::var("CAP").map(|c| c.parse().unwrap()).unwrap_or(rfss::MITM_MAX_ENTRIES);
    let mut s = Solver::new(Budget::default()).with_mitm_max_entries(cap);
    let mut times = vec![];
    let mut g = 0.0;
    for r in 0..reps {
        let inst = Instance::new(
            draw(Dist::Product, n, 1, r as u64),
            k,
            0.8 * symmetric_unit(&mut rng(3, r as u64)) * 0.5,
            1e-2,
        )
        .unwrap();
        let t = std::time::Instant::now();
        g += s.solve(&inst, Mode::Best).unwrap().gap;
        times.push(t.elapsed());
    }
    times.sort();
    println!("n={n} k={k} cap={cap}: median {:?}, {g:.3e}", times[times.len() / 2]);
}
