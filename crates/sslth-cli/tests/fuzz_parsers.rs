//! Every reader of bytes a user hands sslth, fed arbitrary and mutated
//! bytes: the `.npy` reader, the IDX reader, a JSON Lines instance, the
//! safetensors readers of targets, tickets (full, compact, streamed) and
//! shard files. For each input: no panic, an error of one line, and at
//! most the allocation bound stated per reader below (peak bytes held
//! while it runs, counted by this binary's allocator).
//!
//! CI runs `FUZZ_INPUTS` (default 20,000) inputs per reader; bench/fuzz.sh
//! runs 10⁶ each. Inputs are random bytes, and valid files mutated: bits
//! flipped, bytes set to edge values, cut, extended, chunks repeated, and
//! numbers in their JSON headers replaced by huge or odd ones.
//!
//! Hand-rolled rather than cargo-fuzz: cargo-fuzz needs a nightly
//! compiler and libFuzzer, and a plain test runs in CI on stable Rust.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes held and their peak.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn held(delta: isize) {
    let now = HELD.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call goes to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            held(l.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        held(-(l.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            held(new as isize - l.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// splitmix64: a few lines of deterministic randomness for the mutations
/// (nothing here needs a seekable or cryptographic stream).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `seed` (or random bytes).
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    match rng.below(8) {
        0 => return (0..rng.below(512)).map(|_| rng.next() as u8).collect(),
        1 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            let edge = [0u8, 0xff, 0x7f, 0x80, b'9', b'-', b'"', b'{', b']', b','];
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b = edge[rng.below(edge.len())];
                }
            }
        }
        3 => v.truncate(rng.below(v.len() + 1)),
        4 => v.extend((0..1 + rng.below(64)).map(|_| rng.next() as u8)),
        5 if !v.is_empty() => {
            let (a, len) = (rng.below(v.len()), 1 + rng.below(32));
            let chunk: Vec<u8> = v[a..(a + len).min(v.len())].to_vec();
            let at = rng.below(v.len());
            v.splice(at..at, chunk);
        }
        _ => {
            // A number in the text (a JSON header) made huge, negative,
            // fractional or zero: lengths, shapes, offsets, sizes.
            let digits: Vec<usize> = (0..v.len()).filter(|&i| v[i].is_ascii_digit()).collect();
            if !digits.is_empty() {
                let i = digits[rng.below(digits.len())];
                let j = (i..v.len()).find(|&j| !v[j].is_ascii_digit()).unwrap_or(v.len());
                let odd = [
                    "0",
                    "1",
                    "1000000",
                    "4294967296",
                    "18446744073709551615",
                    "99999999999999999999",
                    "-1",
                    "1e308",
                    "0.5",
                ];
                v.splice(i..j, odd[rng.below(odd.len())].bytes());
            }
        }
    }
    v
}

/// A reader under test: its name, the valid inputs it must accept, the
/// inputs its fuzzed inputs are mutated from (those and other formats'),
/// what it does with bytes, and its allocation bound for an input of
/// `len` bytes.
struct Reader {
    name: &'static str,
    valid: Vec<Vec<u8>>,
    seeds: Vec<Vec<u8>>,
    read: fn(&[u8]) -> Result<(), String>,
    bound: fn(usize) -> usize,
}

const MIB: usize = 1 << 20;

fn readers() -> Vec<Reader> {
    let (target, full, compact, shard) = files();
    let npy = sslth::files::npy::to_bytes(&sslth::files::npy::Matrix {
        rows: 3,
        cols: 4,
        data: (0..12).map(|i| i as f32 / 7.0).collect(),
        inner: vec![4],
    });
    let mut idx = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3];
    idx.extend(0..18u8);
    let jsonl =
        br#"{"samples": [0.5, -0.25, 0.125, 0.75], "k": 2, "target": 0.3, "eps": 0.01, "mode": "best"}"#.to_vec();
    let files = vec![target.clone(), full.clone(), compact.clone(), shard.clone()];
    vec![
        Reader {
            name: "npy",
            valid: vec![npy.clone()],
            seeds: vec![npy],
            read: |b| sslth::files::npy::parse(b, "x.npy").map(drop),
            bound: |len| 2 * len + MIB,
        },
        Reader {
            name: "IDX",
            valid: vec![idx.clone()],
            seeds: vec![idx],
            read: |b| sslth::data::parse_idx(b).map(drop),
            bound: |len| 2 * len + MIB,
        },
        Reader {
            name: "JSON Lines",
            valid: vec![jsonl.clone()],
            seeds: vec![jsonl],
            read: |b| rfss::jsonl::parse_line(&String::from_utf8_lossy(b)).map(drop),
            bound: |len| 16 * len + MIB,
        },
        Reader {
            name: "target",
            valid: vec![target.clone()],
            seeds: files.clone(),
            read: |b| sslth::files::target::load_bytes(b, "x", None).map(drop).map_err(|e| e.to_string()),
            bound: |len| 16 * len + 4 * MIB,
        },
        Reader {
            name: "ticket",
            valid: vec![full.clone(), compact.clone()],
            seeds: files.clone(),
            read: |b| sslth::files::ticket_read::read_bytes(b, "x").map(drop).map_err(|e| e.to_string()),
            bound: |len| 16 * len + 4 * MIB,
        },
        Reader {
            name: "any model (streamed)",
            valid: vec![target, full, compact],
            seeds: files.clone(),
            read: |b| sslth::files::Runnable::from_bytes(b, "x").map(drop).map_err(|e| e.to_string()),
            bound: |len| 16 * len + 4 * MIB,
        },
        Reader {
            name: "shard",
            valid: vec![shard],
            seeds: files,
            read: |b| sslth::experiments::shard::read_shard(b, "x").map(drop),
            bound: |len| 16 * len + 4 * MIB,
        },
    ]
}

/// A small target (8-6-4 with biases), its full and compact tickets, and
/// a shard file of its build.
fn files() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    use sslth::construction::{BuildConfig, ShardId, Sizing};
    let w = |n: usize, s: f32| (0..n).map(|i| ((i * 37 % 11) as f32 - 5.0) * s).collect::<Vec<f32>>();
    let tensors = vec![
        ("0.weight".to_string(), vec![6, 8], w(48, 0.1)),
        ("0.bias".to_string(), vec![6], w(6, 0.05)),
        ("2.weight".to_string(), vec![4, 6], w(24, 0.1)),
        ("2.bias".to_string(), vec![4], w(4, 0.05)),
    ];
    let (net, info) = sslth::files::target::from_tensors(tensors, &Default::default(), None).unwrap();
    let cfg = BuildConfig { sizing: Sizing::K(3), ..BuildConfig::default() };
    let built =
        sslth::experiments::pipeline::build_and_measure(&net, &cfg, None, None, |_| {}, &|| true).expect("builds");
    let full = sslth::files::full_bytes(&built.net, &built.meta);
    let compact = sslth::files::compact_bytes(&built.net, &built.meta);
    let id = ShardId::new(0, 2).unwrap();
    let (shard, _) =
        sslth::experiments::shard::build_shard_file(&net, &cfg, id, vec![], |_| {}, &|| true).expect("shard");
    (sslth::files::target::file_bytes(&net, &info), full, compact, shard)
}

#[test]
fn parsers_survive_arbitrary_bytes() {
    let inputs: usize = std::env::var("FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    for reader in readers() {
        let mut rng = Rng(0x5eed ^ reader.name.len() as u64);
        for valid in &reader.valid {
            assert_eq!((reader.read)(valid), Ok(()), "{}: a valid input is refused", reader.name);
        }
        let (mut refused, mut worst) = (0usize, 0usize);
        let started = std::time::Instant::now();
        for i in 0..inputs {
            let seed = &reader.seeds[i % reader.seeds.len()];
            let input = mutate(seed, &mut rng);
            let before = HELD.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let outcome = std::panic::catch_unwind(|| (reader.read)(&input));
            let peak = (PEAK.load(Ordering::Relaxed) - before).max(0) as usize;
            let bound = (reader.bound)(input.len());
            match outcome {
                Err(_) => panic!("{} panicked on input {i} ({} bytes): {:?}", reader.name, input.len(), input),
                Ok(Err(message)) => {
                    refused += 1;
                    assert!(
                        !message.is_empty() && !message.contains('\n'),
                        "{}: not a one-line error on input {i}: {message:?}",
                        reader.name
                    );
                }
                Ok(Ok(())) => {}
            }
            assert!(
                peak <= bound,
                "{}: input {i} of {} bytes held {peak} bytes (bound {bound})",
                reader.name,
                input.len()
            );
            worst = worst.max(peak);
        }
        println!(
            "{}: {inputs} inputs, {refused} refused, {:.1} µs each, largest peak allocation {:.1} KiB",
            reader.name,
            started.elapsed().as_secs_f64() * 1e6 / inputs as f64,
            worst as f64 / 1024.0
        );
    }
}
