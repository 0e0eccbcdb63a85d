//! Tests of the compact format's streams: subset streams of both orders
//! round-trip, the writer takes the shorter encoding, and what is not a
//! stream is refused; the bit and delta masks round-trip.

use super::*;

#[test]
fn subset_streams_round_trip_and_refuse_what_is_not_a_stream() {
    use crate::net::LinearWeights;
    let draw = |n: usize, s: u64| -> Vec<f32> {
        (0..n).map(|i| (0.5 * crate::weights::uniform_weight(4, s, i as u64)) as f32).collect()
    };
    let net = crate::net::Network::mlp(&[
        LinearWeights { d_in: 5, d_out: 4, weight: draw(20, 1), bias: Some(draw(4, 2)) },
        LinearWeights { d_in: 4, d_out: 3, weight: draw(12, 3), bias: Some(draw(3, 4)) },
    ]);
    for order in [subsets::SubsetOrder::Fixed, subsets::SubsetOrder::Fewest] {
        let cfg = crate::construction::BuildConfig {
            seed: 8,
            sizing: crate::construction::Sizing::Fixed { n: 16, k: 4 },
            subsets: order,
            ..crate::construction::BuildConfig::for_density(8, 0.1, 1e-2)
        };
        let plans = crate::construction::plan(&net, &cfg).unwrap();
        let t = crate::construction::build(&net, &plans, 8, false, &|| true).unwrap();
        let meta = t.meta(&net, 1.0, None, None);
        let idx = flat_indices(&t.to_sparse(), &meta);
        for i in 0..meta.pairs.len() {
            let layout = PairLayout::new(&meta, i);
            let (eg, fixed_name) = (order.encoding(true), order.encoding(false));
            let (a, b) = (&idx[2 * i], &idx[2 * i + 1]);
            let choices = layout.choices(a, b).expect("a built ticket is the construction's");
            let (encoding, bytes) = layout.encode(&choices);
            assert_eq!(encoding, eg, "colex-first choices have small numbers");
            // The other order's name is refused: metadata and masks disagree.
            let opposite = [subsets::SubsetOrder::Fewest, subsets::SubsetOrder::Fixed][usize::from(!order.is_fixed())];
            assert!(layout.decode(&bytes, opposite.encoding(true)).unwrap_err().contains("order"));
            // Both encodings decode to the kept edges, where the fixed
            // width holds every number.
            let mut fixed = subsets::BitWriter::default();
            for c in &choices {
                fixed.write(u64::from(c.is_some()), 1);
                if let Some((r, count)) = c {
                    fixed.write(*r, subsets::width(*count));
                }
            }
            let fixed = fixed.finish();
            assert!(bytes.len() < fixed.len());
            let fits = choices.iter().flatten().all(|&(r, count)| r < count);
            for (enc, bytes) in [(eg, &bytes), (fixed_name, &fixed)].into_iter().take(1 + usize::from(fits)) {
                assert_eq!(layout.decode(bytes, enc).unwrap(), (b.clone(), a.clone()));
                let mut longer = bytes.clone();
                longer.push(0);
                assert!(layout.decode(&longer, enc).unwrap_err().contains("left over"));
                assert!(layout.decode(&bytes[..bytes.len() - 1], enc).unwrap_err().contains("ends early"));
            }
            // Choices of large numbers (each side's last κ-subset
            // number): the fixed width is the shorter stream, the writer
            // takes it, and it decodes to edges whose choices they are.
            let large: Vec<Choice> = choices.iter().map(|c| c.map(|(_, count)| (count - 1, count))).collect();
            let (encoding, bytes) = layout.encode(&large);
            assert_eq!(encoding, fixed_name, "numbers near C(m, κ) are shorter in fixed width");
            let bits: u64 =
                large.iter().map(|c| fixed_bits(c.map_or(0, |(r, _)| r + 1), c.map(|(_, n)| n)).unwrap()).sum();
            assert_eq!(bytes.len() as u64, bits.div_ceil(8));
            let (b_large, a_large) = layout.decode(&bytes, encoding).unwrap();
            assert_eq!(layout.choices(&a_large, &b_large).unwrap(), large);
            // One B edge fewer (one whose neuron another edge reads, so
            // that A keeps the same): its instance keeps one edge less,
            // another size (or none), which decodes to those edges.
            let hidden = layout.hidden() as u64;
            let shared = |e: u64| b.iter().filter(|&&f| f % hidden == e % hidden).count() > 1;
            let drop = b.iter().rposition(|&e| shared(e)).expect("a neuron two rows read");
            let fewer: Vec<u64> = b.iter().enumerate().filter(|&(t, _)| t != drop).map(|(_, &e)| e).collect();
            let other = layout.choices(a, &fewer).expect("one fewer is one of the sizes");
            assert_ne!(other, choices);
            let (encoding, bytes) = layout.encode(&other);
            assert_eq!(layout.decode(&bytes, encoding).unwrap(), (fewer, a.clone()));
            // An A edge of an unused neuron, or a B edge whose neuron A
            // does not keep: not a stream of choices, so the pair keeps
            // its bit masks.
            let mut more = a.clone();
            more.push(a.last().unwrap() + 1);
            assert!(layout.choices(&more, b).is_none());
            let used: Vec<u64> = b.iter().map(|e| e % layout.hidden() as u64).collect();
            let fresh = (0..layout.hidden() as u64).find(|h| !used.contains(h)).expect("an unused neuron");
            let mut extra = b.clone();
            extra.push(fresh);
            extra.sort_unstable();
            assert!(layout.choices(a, &extra).is_none());
        }
    }
}

#[test]
fn mask_encodings_round_trip() {
    let idx = vec![0u64, 1, 2, 9, 130, 131, 20_000, 1 << 33];
    let len = (1u64 << 33) + 5;
    assert_eq!(unpack_deltas(&pack_deltas(&idx), len).unwrap(), idx);
    let small = vec![0u64, 3, 8, 15];
    assert_eq!(unpack_bits(&pack_bits(&small, 16), 16).unwrap(), small);
    assert!(unpack_bits(&[0xff, 0xff], 12).unwrap_err().contains("beyond"));
    assert!(unpack_deltas(&[0x80], 10).unwrap_err().contains("inside a varint"));
    assert!(unpack_deltas(&[20], 10).unwrap_err().contains("outside"));
}
