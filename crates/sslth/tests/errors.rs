//! The library's one error type, a variant per kind of failure, each
//! reached through the public entry points as a user reaches it; the
//! messages name parameters as the library does and as the CLI's flags.

use sslth::construction::{plan, BuildConfig, BuildOptions, Sizing, Tolerance};
use sslth::experiments::pipeline::{build_and_measure, build_file};
use sslth::experiments::verify::verify_file;
use sslth::net::{Layer, Network};
use sslth::{Error, Face};

mod common;

fn net() -> Network {
    Network::mlp(&common::random_mlp(&[6, 5, 3], 4, 0.6, true))
}

fn config() -> BuildConfig {
    BuildConfig {
        seed: 1,
        sizing: Sizing::K(4),
        tolerance: Tolerance::Weight(1e-3),
        nonneg_input: false,
        scale: None,
        scale_quantile: None,
        accept_over_eps: false,
        accept_misses: false,
        walk_budget: sslth::construction::DEFAULT_WALK_BUDGET,
        subsets: sslth::ticket::SubsetOrder::Fewest,
    }
}

fn one_line(e: &Error) {
    for face in [Face::Library, Face::Cli] {
        let m = e.render(face);
        assert!(!m.is_empty() && !m.contains('\n') && !m.contains('`'), "{m:?}");
    }
}

#[test]
fn each_kind_of_failure_is_its_own_variant() {
    let dir = std::env::temp_dir().join(format!("sslth-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // A file that is not there: I/O, with the path and the system's kind.
    let missing = dir.join("missing.safetensors");
    let e = verify_file(&missing, None, None, &Default::default(), &|| true).unwrap_err();
    assert!(
        matches!(&e, Error::Io { path, writing: false, source } if path == &missing && source.kind() == std::io::ErrorKind::NotFound),
        "{e:?}"
    );
    one_line(&e);

    // A place that cannot be written: I/O on writing.
    let out = dir.join("no-such-folder").join("t.safetensors");
    let e = build_file(&net(), &config(), None, &out, false, |_| {}, &|| true).unwrap_err();
    assert!(matches!(&e, Error::Io { writing: true, .. }), "{e:?}");
    one_line(&e);

    // A parameter out of range: named as the library and the CLI name it.
    let e = plan(&net(), &BuildConfig { sizing: Sizing::K(0), ..config() }).unwrap_err();
    assert!(matches!(e, Error::Argument(_)), "{e:?}");
    assert_eq!(e.to_string(), "k must be at least 1");
    assert_eq!(e.render(Face::Cli), "--k must be at least 1");
    let e = plan(&net(), &BuildConfig { scale: Some(-1.0), ..config() }).unwrap_err();
    assert_eq!(e.render(Face::Cli), "--scale must be a finite number > 0, got -1");

    // Options that do not go together, refused where both faces turn
    // their users' options into a configuration.
    let refuse = |o: BuildOptions| o.config().unwrap_err().render(Face::Cli);
    let eps = BuildOptions { weight_eps: Some(0.01), ..Default::default() };
    assert_eq!(
        refuse(BuildOptions { k: Some(4), density: Some(0.2), ..eps.clone() }),
        "give --k or --density, not both"
    );
    assert_eq!(refuse(BuildOptions { n: Some(8), ..eps.clone() }), "--n needs --k");
    assert_eq!(refuse(BuildOptions { eps: Some(0.1), ..eps.clone() }), "give --eps or --weight-eps, not both");
    assert!(refuse(BuildOptions::default()).starts_with("give --eps (the network's error) or --weight-eps"));
    assert_eq!(eps.config().unwrap(), BuildConfig::default());
    let fixed = BuildOptions { k: Some(4), n: Some(9), ..eps }.config().unwrap();
    assert_eq!(fixed.sizing, Sizing::Fixed { n: 9, k: 4 });

    // A file that is not a ticket.
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"not a safetensors file").unwrap();
    let e = verify_file(&junk, None, None, &Default::default(), &|| true).unwrap_err();
    assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    one_line(&e);

    // A network tickets are not built of: two linear layers, no ReLU.
    let mut plain = net();
    plain.layers.retain(|l| !matches!(l, Layer::Relu));
    let e = plan(&plain, &config()).unwrap_err();
    assert!(matches!(&e, Error::Unsupported(m) if m.contains("no ReLU between")), "{e:?}");

    // A build that misses its tolerance at a fixed (n, k): refused, with
    // its counts (the refusal's own test is in construction.rs).
    let small = BuildConfig { sizing: Sizing::Fixed { n: 4, k: 2 }, ..config() };
    let e = build_and_measure(&net(), &small, None, None, |_| {}, &|| true).unwrap_err();
    assert!(matches!(e, Error::Refused { misses, .. } if misses > 0), "{e:?}");
    one_line(&e);

    // Stopped by the caller.
    let e = build_and_measure(&net(), &config(), None, None, |_| {}, &|| false).unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The names the CLI lists for `--model` and `--weights` (`NAMES`) are
/// exactly those `FromStr` takes, in `ALL`'s order: a listed name that
/// failed to parse would stop the CLI after clap had accepted it.
#[test]
fn listed_names_are_the_parsed_names() {
    use sslth::net::Kind;
    use sslth::weights::WeightLaw;
    assert_eq!(Kind::ALL.map(Kind::name), Kind::NAMES);
    assert_eq!(WeightLaw::ALL.map(WeightLaw::name), WeightLaw::NAMES);
    for name in Kind::NAMES {
        assert_eq!(name.parse::<Kind>().map(Kind::name), Ok(name));
    }
    for name in WeightLaw::NAMES {
        assert_eq!(name.parse::<WeightLaw>().map(WeightLaw::name), Ok(name));
    }
    assert!("mlp2".parse::<Kind>().unwrap_err().contains("mlp, cnn or deepsets"));
}
