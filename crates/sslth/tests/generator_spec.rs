//! The random-weight generator written out from its specification in
//! docs/FORMAT.md ("The generator, step by step") — PCG32 seed expansion,
//! the ChaCha8 block function, word positions, the u64 and the weight —
//! with no use of `rand`, and checked against sslth's generator and against
//! the test vectors printed in docs/FORMAT.md.

/// Step 1: the 32-byte key from the u64 seed (PCG32, 8 outputs).
fn key_from_seed(seed: u64) -> [u32; 8] {
    let mut state = seed;
    let mut key = [0u32; 8];
    for word in key.iter_mut() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(11634580027462260723);
        let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
        let rot = (state >> 59) as u32;
        *word = xorshifted.rotate_right(rot);
    }
    key
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// Step 2: block `block` of stream `stream`: 16 u32 words.
fn chacha8_block(key: &[u32; 8], stream: u64, block: u64) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    input[4..12].copy_from_slice(key);
    input[12] = block as u32;
    input[13] = (block >> 32) as u32;
    input[14] = stream as u32;
    input[15] = (stream >> 32) as u32;
    let mut s = input;
    for _ in 0..4 {
        quarter(&mut s, 0, 4, 8, 12);
        quarter(&mut s, 1, 5, 9, 13);
        quarter(&mut s, 2, 6, 10, 14);
        quarter(&mut s, 3, 7, 11, 15);
        quarter(&mut s, 0, 5, 10, 15);
        quarter(&mut s, 1, 6, 11, 12);
        quarter(&mut s, 2, 7, 8, 13);
        quarter(&mut s, 3, 4, 9, 14);
    }
    for (o, i) in s.iter_mut().zip(input) {
        *o = o.wrapping_add(i);
    }
    s
}

/// Step 3: the u64 of weight `index` (words 2·index and 2·index + 1 of the
/// stream, low word first).
fn word64(seed: u64, stream: u64, index: u64) -> u64 {
    let w = 2 * index;
    let block = chacha8_block(&key_from_seed(seed), stream, w / 16);
    let at = (w % 16) as usize;
    u64::from(block[at]) | (u64::from(block[at + 1]) << 32)
}

/// Step 4: the weight in [−1, 1).
fn weight(seed: u64, stream: u64, index: u64) -> f64 {
    2.0 * ((word64(seed, stream, index) >> 11) as f64 / 9007199254740992.0) - 1.0
}

#[test]
fn the_written_algorithm_is_the_generator() {
    for seed in [0u64, 1, 7, 2024, u64::MAX] {
        for stream in [0u64, 1, 5, 1 << 40] {
            for index in [0u64, 1, 7, 8, 31, 32, 1000, 123_456_789] {
                assert_eq!(
                    weight(seed, stream, index),
                    sslth::weights::uniform_weight(seed, stream, index),
                    "seed {seed} stream {stream} index {index}"
                );
            }
        }
    }
}

#[test]
fn format_md_test_vectors_hold() {
    // Rows of the table under "Test vectors" in docs/FORMAT.md:
    // | seed | stream | index | u64 (hex) | weight |
    let doc = include_str!("../../../docs/FORMAT.md");
    let section = doc.split("### Test vectors").nth(1).expect("FORMAT.md has a Test vectors section");
    let mut rows = 0;
    for line in section.lines().skip_while(|l| !l.starts_with("| seed")).skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let f: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (seed, stream, index): (u64, u64, u64) =
            (f[0].parse().unwrap(), f[1].parse().unwrap(), f[2].parse().unwrap());
        let u = u64::from_str_radix(f[3].trim_start_matches("0x"), 16).unwrap();
        let w: f64 = f[4].parse().unwrap();
        assert_eq!(word64(seed, stream, index), u, "{line}");
        assert_eq!(sslth::weights::uniform_weight(seed, stream, index), w, "{line}");
        rows += 1;
    }
    assert!(rows >= 4, "expected test vectors in docs/FORMAT.md, found {rows}");
}

/// Prints the vectors for the docs: `cargo test --test generator_spec -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_vectors() {
    for (seed, stream, index) in [(0u64, 0u64, 0u64), (0, 1, 0), (7, 3, 1000), (2024, 2, 123_456_789)] {
        println!(
            "| {seed} | {stream} | {index} | 0x{:016x} | {:?} |",
            word64(seed, stream, index),
            weight(seed, stream, index)
        );
    }
}
