//! Library throughput: `within` mode, product samples, ε = 0.01, k = n/4,
//! targets uniform in [−0.4, 0.4]. `batch_*` solves with
//! `solve_batch` on rayon's pool (all cores; set RAYON_NUM_THREADS),
//! `single_*` with one `Solver` on one thread.
//!
//! cargo bench -p rfss --bench throughput

use divan::counter::ItemsCount;
use divan::Bencher;
use rfss::{draw, rng, solve_batch, symmetric_unit, Budget, Dist, Instance, Mode, Solver};

const INSTANCES: usize = 20_000;

fn instances(n: usize) -> Vec<(Instance, Mode)> {
    (0..INSTANCES as u64)
        .map(|t| {
            let z = 0.4 * symmetric_unit(&mut rng(2, t));
            (Instance::new(draw(Dist::Product, n, 1, t), n / 4, z, 0.01).unwrap(), Mode::Within)
        })
        .collect()
}

fn main() {
    divan::main();
}

#[divan::bench(args = [16, 32, 64], sample_count = 10)]
fn batch_within(bencher: Bencher, n: usize) {
    let items = instances(n);
    bencher.counter(ItemsCount::new(items.len())).bench(|| solve_batch(&items, Budget::default()));
}

#[divan::bench(args = [16, 32, 64], sample_count = 10)]
fn single_within(bencher: Bencher, n: usize) {
    let items = instances(n);
    let mut solver = Solver::new(Budget::default());
    bencher
        .counter(ItemsCount::new(items.len()))
        .bench_local(|| items.iter().map(|(inst, mode)| solver.solve(inst, *mode).unwrap().gap).sum::<f64>());
}
