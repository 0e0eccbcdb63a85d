//! The streamed build (choices instead of edges) against the build that
//! holds every edge, its oracle: the same certificate, counts and metadata,
//! and the same compact file, byte for byte, on dense targets (signed and
//! non-negative inputs, with and without repair, both subset orders), a
//! CNN and a set network;
//! and a stream that does not fit its metadata is refused.

use sslth::construction::{build, build_streamed, plan, BuildConfig, Sizing};
use sslth::files::{compact_bytes, compact_bytes_of_choices, full_bytes, write_full_of_choices};
use sslth::net::{ConvWeights, LinearWeights, Network, SetWeights};
use sslth::ticket::{PairChoices, SubsetOrder};
use sslth::weights::uniform_weight;

fn draw(n: usize, stream: u64, seed: u64) -> Vec<f32> {
    (0..n).map(|i| (0.4 * uniform_weight(seed, stream, i as u64)) as f32).collect()
}

fn mlp(widths: &[usize], seed: u64) -> Network {
    let layers: Vec<LinearWeights> = widths
        .windows(2)
        .enumerate()
        .map(|(i, w)| LinearWeights {
            d_in: w[0],
            d_out: w[1],
            weight: draw(w[0] * w[1], 2 * i as u64 + 1, seed),
            bias: Some(draw(w[1], 2 * i as u64 + 2, seed)),
        })
        .collect();
    Network::mlp(&layers)
}

fn head(d_in: usize) -> Vec<LinearWeights> {
    vec![LinearWeights { d_in, d_out: 3, weight: draw(3 * d_in, 50, 41), bias: Some(draw(3, 51, 41)) }]
}

fn refs(c: &[PairChoices]) -> Vec<&PairChoices> {
    c.iter().collect()
}

#[test]
fn the_streamed_build_writes_the_same_compact_file_and_certificate() {
    let convs = vec![
        ConvWeights { shape: vec![3, 2, 3, 3], weight: draw(54, 1, 41), bias: Some(draw(3, 2, 41)) },
        ConvWeights { shape: vec![4, 3, 3, 3], weight: draw(108, 3, 41), bias: Some(draw(4, 4, 41)) },
    ];
    let sets = vec![
        SetWeights { c_in: 3, c_out: 4, identity: draw(12, 5, 41), mean: draw(12, 6, 41), bias: Some(draw(4, 7, 41)) },
        SetWeights { c_in: 4, c_out: 4, identity: draw(16, 8, 41), mean: draw(16, 9, 41), bias: Some(draw(4, 10, 41)) },
    ];
    // (target, seed, k, non-negative input); the 7-6 cases at seeds 1
    // and 2 repair a pair; n = k = 1 makes subset ranks longer than bit
    // masks.
    let with = |seed: u64, k: usize, nonneg_input: bool| BuildConfig {
        sizing: Sizing::K(k),
        nonneg_input,
        ..BuildConfig::for_density(seed, 1.0, 0.01)
    };
    let cases = [
        (mlp(&[7, 6, 3], 9), with(4, 3, false)),
        (mlp(&[7, 6, 3], 9), BuildConfig { subsets: SubsetOrder::Fixed, ..with(4, 3, false) }),
        (mlp(&[7, 6], 9), with(1, 3, false)),
        (mlp(&[7, 6], 9), with(2, 3, false)),
        (mlp(&[20, 16, 12, 5], 3), with(2, 4, true)),
        (mlp(&[13, 9, 4], 5), with(7, 6, false)),
        (mlp(&[13, 60, 4], 5), BuildConfig { sizing: Sizing::Fixed { n: 1, k: 1 }, ..with(7, 1, false) }),
        (Network::cnn(&convs, &head(4), 4, 5).unwrap(), with(3, 3, false)),
        (Network::deepsets(&sets, &head(4), 6).unwrap(), with(5, 3, false)),
    ];
    let (mut repaired, mut plain) = (0, 0);
    for (net, cfg) in cases {
        let (seed, nonneg) = (cfg.seed, cfg.nonneg_input);
        let plans = plan(&net, &cfg).unwrap();
        let whole = build(&net, &plans, seed, nonneg, &|| true).unwrap();
        repaired += whole.pairs.iter().zip(&plans).filter(|(w, p)| w.size.n != p.size.n).count();
        let streamed = build_streamed(&net, &plans, seed, nonneg, &|| true).unwrap().unwrap();
        let certificate = whole.certificate(&net).unwrap();
        assert_eq!(streamed.certificate.bound.to_bits(), certificate.bound.to_bits(), "seed {seed}");
        assert_eq!(streamed.kept_edges(), whole.kept_edges());
        assert_eq!(streamed.random_edges(), whole.random_edges());
        assert_eq!(streamed.block_edges(), whole.block_edges());
        assert_eq!(streamed.instances(), whole.instances());
        let meta = whole.meta(&net, certificate.bound, None, None);
        assert_eq!(streamed.meta(&net, None), meta);
        let choices: Vec<_> = streamed.pairs.iter().map(|p| p.choices.clone()).collect();
        let file = compact_bytes_of_choices(&meta, &refs(&choices)).unwrap();
        assert!(file == compact_bytes(&whole.to_sparse(), &meta), "seed {seed}: the compact files differ");
        // The full file, written from the streams, is the whole build's too.
        let path = std::env::temp_dir().join(format!("sslth-streamed-{}-{seed}.safetensors", std::process::id()));
        let length = write_full_of_choices(&path, &meta, &refs(&choices)).unwrap();
        let full = full_bytes(&whole.to_sparse(), &meta);
        assert!(std::fs::read(&path).unwrap() == full && length == full.len() as u64, "seed {seed}: full files differ");
        std::fs::remove_file(&path).unwrap();
        // Pairs whose ranks are not the smaller code keep plain masks.
        let header = String::from_utf8_lossy(&file[..file.len().min(4096)]).into_owned();
        plain += usize::from(header.contains("delta-varint") || header.contains(r#"\"bits\""#));
        // A stream cut short, or a row start moved, is refused.
        let mut short = choices.clone();
        short[0].ranks.pop();
        assert!(compact_bytes_of_choices(&meta, &refs(&short)).is_err());
        let mut moved = choices.clone();
        moved[0].row_starts[1] += 1;
        assert!(compact_bytes_of_choices(&meta, &refs(&moved)).unwrap_err().contains("row"));
    }
    assert!(repaired >= 2, "only {repaired} repaired pairs: the repair path is not tested");
    assert!(plain >= 1, "no pair kept plain masks: that path is not tested");
}

#[test]
fn a_compact_ticket_runs_from_its_streams_with_the_bits_of_the_whole_ticket() {
    use sslth::files::{read_ticket, write_atomic, CompactStreams, Runnable};
    // Dense targets with biases (the first A layer's folded constant
    // channel), one to three pairs, signed and non-negative inputs.
    let cases = [
        (mlp(&[7, 6, 3], 9), 4, 3, false),
        (mlp(&[20, 16, 12, 5], 3), 2, 4, true),
        (mlp(&[13, 9, 4], 5), 7, 6, false),
        (mlp(&[7, 6], 9), 1, 2, false),
    ];
    for (net, seed, k, nonneg_input) in cases {
        let cfg = BuildConfig { sizing: Sizing::K(k), nonneg_input, ..BuildConfig::for_density(seed, 1.0, 0.01) };
        let plans = plan(&net, &cfg).unwrap();
        let whole = build(&net, &plans, seed, nonneg_input, &|| true).unwrap();
        let meta = whole.meta(&net, whole.certificate(&net).unwrap().bound, None, None);
        let path = std::env::temp_dir().join(format!("sslth-run-{}-{seed}.safetensors", std::process::id()));
        write_atomic(&path, &compact_bytes(&whole.to_sparse(), &meta)).unwrap();
        let streams = CompactStreams::read(&path).unwrap().expect("every pair subset-rank coded");
        let read = read_ticket(&path).unwrap();
        // 70 rows: one block of 64 lanes and a remainder; inputs of both
        // signs, zeros of both signs, and a NaN (ReLU's max sends it to 0
        // in both).
        let d = net.d_in();
        let rows = 70;
        let mut x: Vec<f32> = (0..rows * d).map(|i| 3.0 * uniform_weight(seed, 90, i as u64) as f32).collect();
        x[0] = -0.0;
        x[1] = 0.0;
        x[d + 2] = f32::NAN;
        let want = read.net.forward_batch(&x, rows);
        let got = streams.forward_batch(&x, rows).unwrap();
        let bits = |v: &[f32]| v.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "seed {seed}");
        // Read whole from the streams: the ticket the whole reader reads.
        let again = streams.to_ticket().unwrap();
        assert!(again.net == read.net && again.meta == read.meta && again.compact);
        // Loading picks the streamed form; other widths are refused.
        let model = Runnable::load(&path, None).unwrap();
        assert!(matches!(model, Runnable::Streamed(_)) && model.kind() == "compact ticket");
        assert_eq!(bits(&model.forward_batch(&x, rows).unwrap()), bits(&want));
        assert!(streams.forward_batch(&x[..x.len() - 1], rows).unwrap_err().contains("inputs"));
        std::fs::remove_file(&path).unwrap();
    }
    // A CNN's compact ticket is read whole, and its streams refuse to run.
    let convs = vec![ConvWeights { shape: vec![3, 2, 3, 3], weight: draw(54, 1, 41), bias: Some(draw(3, 2, 41)) }];
    let net = Network::cnn(&convs, &head(3), 4, 5).unwrap();
    let cfg = BuildConfig { sizing: Sizing::K(3), ..BuildConfig::for_density(3, 1.0, 0.01) };
    let whole = build(&net, &plan(&net, &cfg).unwrap(), 3, false, &|| true).unwrap();
    let meta = whole.meta(&net, whole.certificate(&net).unwrap().bound, None, None);
    let path = std::env::temp_dir().join(format!("sslth-run-cnn-{}.safetensors", std::process::id()));
    write_atomic(&path, &compact_bytes(&whole.to_sparse(), &meta)).unwrap();
    assert!(matches!(Runnable::load(&path, None).unwrap(), Runnable::Ticket(_)));
    if let Some(s) = CompactStreams::read(&path).unwrap() {
        assert!(!s.is_dense() && s.forward_batch(&vec![0.0; net.d_in()], 1).unwrap_err().contains("dense"));
    }
    std::fs::remove_file(&path).unwrap();
}
