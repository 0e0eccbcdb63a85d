//! The `sslth` binary end to end: answers, the batch format, determinism
//! across thread counts, and one-line errors for bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sslth(args: &[&str], stdin: &str, threads: usize) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sslth"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sslth runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A bad invocation: exit code 2, nothing on stdout, exactly one line on
/// stderr that contains `needle`, and no panic.
fn assert_one_line_error(args: &[&str], needle: &str) {
    let o = sslth(args, "", 1);
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{args:?}");
}

#[test]
fn single_instance_json_matches_enumeration() {
    let o = sslth(
        &[
            "rfss",
            "solve",
            "--samples",
            "0.5,-0.25,0.75,0.125,-1",
            "--k",
            "2",
            "--target",
            "0.3",
            "--eps",
            "0.01",
            "--mode",
            "best",
            "--json",
        ],
        "",
        1,
    );
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // Pairs: the closest to 0.3 is 0.5 + (-0.25) = 0.25 (gap 0.05); 0.125+0.125 not allowed.
    assert_eq!(v["subset"], serde_json::json!([0, 1]));
    assert_eq!(v["sum"], 0.25);
    assert_eq!(v["status"], "none");
    assert_eq!(v["found"], false);
    assert_eq!(v["optimal"], true);
}

#[test]
fn readable_answer_for_random_samples() {
    let o = sslth(
        &[
            "rfss", "solve", "--random", "24", "--dist", "uniform", "--seed", "3", "--k", "6", "--target", "-0.5",
            "--eps", "1e-3",
        ],
        "",
        1,
    );
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.starts_with("status   found"), "{text}");
    assert!(text.contains("k = 6 of n = 24"), "{text}");
    // Nothing within eps, in best mode: the closest subset, said to be that.
    let args = [
        "rfss",
        "solve",
        "--samples",
        "0.1,0.2,0.3,0.4",
        "--k",
        "2",
        "--target",
        "5",
        "--eps",
        "0.01",
        "--mode",
        "best",
    ];
    let text = stdout(&sslth(&args, "", 1));
    assert!(text.starts_with("status   none (no k-subset is within eps; shown: the closest)"), "{text}");
    assert!(text.contains("subset   [2, 3]") && text.contains("optimal  yes"), "{text}");
}

#[test]
fn samples_file_is_read() {
    let dir = std::env::temp_dir().join(format!("sslth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("samples.txt");
    std::fs::write(&path, "0.1 0.2\n0.4\n-0.3\n").unwrap();
    let p = path.to_str().unwrap();
    let o =
        sslth(&["rfss", "solve", "--samples-file", p, "--k", "2", "--target", "0.5", "--eps", "1e-9", "--json"], "", 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["subset"], serde_json::json!([0, 2]));
    assert_eq!(v["status"], "found");
    std::fs::write(&path, "0.1 zero\n").unwrap();
    assert_one_line_error(&["rfss", "solve", "--samples-file", p, "--k", "1", "--target", "0", "--eps", "1"], "'zero'");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn batch_input() -> String {
    let mut lines = Vec::new();
    for i in 0..300u64 {
        let samples = rfss::draw(rfss::Dist::Product, 12 + (i % 20) as usize, 5, i);
        let k = 1 + (i % 7) as usize;
        let mode = if i % 3 == 0 { "best" } else { "within" };
        let target = (i as f64 / 300.0) - 0.5;
        lines.push(
            serde_json::json!({"samples": samples, "k": k, "target": target, "eps": 1e-3, "mode": mode}).to_string(),
        );
        if i % 50 == 7 {
            lines.push(r#"{"samples":[0.1,0.2],"k":3,"target":0,"eps":0.1}"#.into());
            lines.push("not json".into());
            lines.push(String::new());
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn batch_is_identical_for_one_and_two_threads_and_keeps_line_order() {
    let input = batch_input();
    let one = sslth(&["rfss", "solve", "--batch"], &input, 1);
    let two = sslth(&["rfss", "solve", "--batch"], &input, 2);
    assert!(one.status.success() && two.status.success());
    assert_eq!(one.stdout, two.stdout);
    let out = stdout(&one);
    let in_lines: Vec<&str> = input.lines().collect();
    let out_lines: Vec<&str> = out.lines().collect();
    assert_eq!(in_lines.len(), out_lines.len());
    let mut errors = 0;
    for (n, (i, o)) in in_lines.iter().zip(&out_lines).enumerate() {
        let reply: serde_json::Value = serde_json::from_str(o).unwrap();
        match serde_json::from_str::<serde_json::Value>(i) {
            Ok(req) if req["k"] != 3 || req["samples"].as_array().unwrap().len() >= 3 => {
                let samples: Vec<f64> = serde_json::from_value(req["samples"].clone()).unwrap();
                let k = req["k"].as_u64().unwrap() as usize;
                let z = req["target"].as_f64().unwrap();
                let best = rfss::brute::best_gap(&samples, k, z);
                let count = rfss::brute::count_within(&samples, k, z, 1e-3);
                assert_eq!(reply["found"], count > 0, "line {}", n + 1);
                if req["mode"] == "best" {
                    assert!((reply["gap"].as_f64().unwrap() - best).abs() < 1e-12);
                }
            }
            _ => {
                errors += 1;
                assert_eq!(reply["line"], (n + 1) as u64, "{o}");
                assert!(reply["error"].is_string());
            }
        }
    }
    assert_eq!(errors, 18);
}

#[test]
fn bad_input_gets_one_line_and_exit_2() {
    let solve = |extra: &str| -> Vec<String> {
        let mut v: Vec<String> = "rfss solve".split(' ').map(String::from).collect();
        v.extend(extra.split(' ').filter(|a| !a.is_empty()).map(String::from));
        v
    };
    let one = "--k 1 --target 0 --eps 0.1";
    let cases: &[(Vec<String>, &str)] = &[
        (solve(&format!("{one} --samples 0.1,NaN")), "not a finite number"),
        (solve(&format!("{one} --samples 0.1,inf")), "not a finite number"),
        (solve(&format!("{one} --samples 0.1,abc")), "abc"),
        (solve(&format!("{one} --samples-file /nonexistent/x.txt")), "cannot read samples file"),
        (solve(&format!("{one} --random -5")), "positive integer"),
        (solve(&format!("{one} --random 5 --dist cauchy")), "unknown distribution"),
        (solve(&format!("{one} --random 5 --mode fast")), "unknown mode"),
        (solve(one), "no samples"),
        (solve("--samples 0.1 --k 0 --target 0 --eps 0.1"), "1 <= k <= n"),
        (solve("--samples 0.1 --k 2 --target 0 --eps 0.1"), "1 <= k <= n"),
        (solve("--samples 0.1 --k 1 --target 0 --eps 0"), "eps must be"),
        (solve("--samples 0.1 --k 1 --target 0 --eps -1"), "eps must be"),
        (solve("--samples 0.1 --k 1 --target nan --eps 1"), "target"),
        (solve("--samples 0.1 --target 0 --eps 1"), "--k"),
        (solve("--batch --k 1"), "--k"),
        (vec!["frobnicate".to_string()], "frobnicate"),
        // Flags that would be ignored are refused.
        (solve("--samples 0.1,0.2 --k 1 --target 0 --eps 0.1 --seed 3"), "--random"),
        (solve("--samples 0.1,0.2 --k 1 --target 0 --eps 0.1 --dist gauss"), "--random"),
        ("rfss bounds --k 4 --eps 0.01 --spaces 8".split(' ').map(String::from).collect(), "--basis"),
        ("rfss bounds --k 4 --eps 0.01 --layers 3".split(' ').map(String::from).collect(), "--basis"),
        ("train --kernel 5 -o /tmp/never-written.safetensors".split(' ').map(String::from).collect(), "--kernel"),
        (
            "rfss phase --dist uniform --k 1 --eps 0.1 --n 4,8 --also 8:1e-6 --out /tmp/never-made"
                .split(' ')
                .map(String::from)
                .collect(),
            "2k",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_one_line_error(&args, needle);
    }
    // An empty --samples value is an error too (whatever clap calls it).
    assert_one_line_error(&["rfss", "solve", "--samples", "", "--k", "1", "--target", "0", "--eps", "1"], "");
}

#[test]
fn rfss_demo_runs_and_prints_a_table() {
    let o = sslth(&["rfss", "demo", "--instances", "3", "--json"], "", 2);
    assert!(o.status.success());
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 6);
    for r in rows {
        assert_eq!(r["found"].as_u64().unwrap() + r["none"].as_u64().unwrap() + r["unknown"].as_u64().unwrap(), 3);
    }
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sslth-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The digits workflow end to end through the binary: train, build,
/// verify, expand, eval and predict, each step checked against the last.
/// (Long: one scenario whose steps feed each other, read top to bottom.)
#[test]
fn train_build_verify_expand_eval() {
    let d = tmpdir("tickets");
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    let o = sslth(&["train", "--arch", "64-16-10", "--bias", "--epochs", "5", "-o", &p("t.safetensors")], "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Same seed, one thread: byte-identical target.
    let o = sslth(&["train", "--arch", "64-16-10", "--bias", "--epochs", "5", "-o", &p("t1.safetensors")], "", 1);
    assert!(o.status.success());
    assert_eq!(std::fs::read(p("t.safetensors")).unwrap(), std::fs::read(p("t1.safetensors")).unwrap());

    let build = |out: &str, threads: usize, extra: &[&str]| {
        let target = p("t.safetensors");
        let mut args = vec!["build", "--target", target.as_str(), "--weight-eps", "0.02", "--seed", "3", "--json"];
        let out = p(out);
        args.extend(["-o", out.as_str()]);
        args.extend_from_slice(extra);
        sslth(&args.iter().map(|s| &**s).collect::<Vec<_>>(), "", threads)
    };
    let o = build("k2.safetensors", 2, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(rep["comparison"]["agreement"].as_f64().unwrap() > 0.9, "{rep}");
    assert!(rep["comparison"]["max_error"].as_f64().unwrap() <= rep["certificate"]["bound"].as_f64().unwrap());
    assert!(build("k1.safetensors", 1, &[]).status.success());
    assert_eq!(
        std::fs::read(p("k1.safetensors")).unwrap(),
        std::fs::read(p("k2.safetensors")).unwrap(),
        "1 vs 2 threads"
    );
    assert!(build("c.safetensors", 2, &["--compact"]).status.success());
    // Both kinds carry the runnable layer shapes (docs/FORMAT.md).
    let shapes = |f: &str| sslth::files::header_metadata(std::path::Path::new(&p(f))).unwrap()["shapes"].clone();
    assert_eq!(shapes("c.safetensors"), shapes("k2.safetensors"));
    assert!(shapes("c.safetensors").starts_with("[["), "{}", shapes("c.safetensors"));
    assert!(
        std::fs::metadata(p("c.safetensors")).unwrap().len() * 5
            < std::fs::metadata(p("k2.safetensors")).unwrap().len()
    );

    for f in ["k2.safetensors", "c.safetensors"] {
        let o = sslth(&["verify", "--ticket", &p(f), "--json"], "", 2);
        assert!(o.status.success(), "{f}: {}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["mismatches"], 0);
        assert_eq!(v["density_matches"], true);
    }
    // With the target: both certificates from the kept edges (the tight one
    // over the digits' box the ticket records, as the build reported it),
    // and an attack that stays under the tight bound.
    let target = p("t.safetensors");
    let o = sslth(&["verify", "--ticket", &p("c.safetensors"), "--target", &target, "--attack", "--json"], "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let tight = &v["tight_certificate"];
    assert_eq!(tight["bound"], rep["tight_certificate"]["bound"]);
    assert_eq!(tight["certified_agreement"], rep["tight_certificate"]["certified_agreement"]);
    let found = v["attack"]["best_error"].as_f64().unwrap();
    assert!(found > 0.0 && found <= tight["bound"].as_f64().unwrap(), "{v}");
    assert!(
        tight["certified_agreement"].as_f64().unwrap() <= rep["comparison"]["agreement"].as_f64().unwrap(),
        "certified rows are agreeing rows"
    );
    // No walk budget: the margins' pairs are not walked, so fewer rows are
    // certified (the outputs' own walks stay); a budget that is not a
    // count is refused in one line.
    let o =
        sslth(&["verify", "--ticket", &p("c.safetensors"), "--target", &target, "--walk-budget", "0", "--json"], "", 2);
    let unwalked: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let share = |v: &serde_json::Value| v["certified_agreement"].as_f64().unwrap();
    assert!(share(&unwalked["tight_certificate"]) < share(tight), "{unwalked}");
    let o = sslth(&["verify", "--ticket", &p("c.safetensors"), "--target", &target, "--walk-budget", "lots"], "", 2);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a number of multiply-adds"));
    // `--subsets fixed` keeps k edges where a k-subset serves, the default
    // `fewest` fewer, and records it in the pairs; another order is refused.
    let kept = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
        (r["kept_edges"].as_u64().unwrap(), r["pairs"][0]["subsets"].clone())
    };
    let (fewest, named) = kept(&build("s1.safetensors", 2, &["--k", "4"]));
    let (fixed, unnamed) = kept(&build("s2.safetensors", 2, &["--k", "4", "--subsets", "fixed"]));
    assert!(fewest < fixed && named == "fewest" && unnamed.is_null(), "{fewest} {fixed} {named} {unnamed}");
    let o = build("s3.safetensors", 2, &["--k", "4", "--subsets", "most"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give fixed or fewest"));
    // A compact ticket built on no data is built and verified as subset
    // streams, never holding its kept edges: the same file as the whole
    // build's (`--accept-over-eps` is not needed: a weight tolerance),
    // and the same report as the whole reading (forced by --data).
    assert!(build("n.safetensors", 2, &["--compact", "--data", "none"]).status.success());
    assert!(build("nf.safetensors", 2, &["--data", "none"]).status.success());
    let o = sslth(&["expand", "--input", &p("n.safetensors"), "-o", &p("ne.safetensors")], "", 2);
    assert!(o.status.success());
    let same = std::fs::read(p("ne.safetensors")).unwrap() == std::fs::read(p("nf.safetensors")).unwrap();
    assert!(same, "the streamed compact file expands to another ticket than the whole build's");
    // `predict` and `eval` run the compact file from its subset streams:
    // the full file's logits, byte for byte, and its accuracy; a stream
    // cut short is refused in one line.
    let x = npy_file(&d.join("x.npy"), &[70, 64], &sslth::data::digits().test.inputs[..70 * 64]);
    let logits = |model: &str| {
        let out = p(&format!("{model}.npy"));
        let o = sslth(&["predict", "--model", &p(model), "--input", &x, "-o", &out], "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(out).unwrap()
    };
    assert_eq!(logits("n.safetensors"), logits("nf.safetensors"));
    let accuracy = |model: &str| {
        let o = sslth(&["eval", "--model", &p(model), "--data", "digits", "--json"], "", 2);
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["test_accuracy"].clone()
    };
    assert_eq!(accuracy("n.safetensors"), accuracy("nf.safetensors"));
    let mut cut = std::fs::read(p("n.safetensors")).unwrap();
    cut.truncate(cut.len() - 3);
    std::fs::write(p("cut.safetensors"), cut).unwrap();
    assert_one_line_error(
        &["predict", "--model", &p("cut.safetensors"), "--input", &x, "-o", &p("c.npy")],
        "cut.safetensors",
    );
    let verify_json = |extra: &[&str]| -> serde_json::Value {
        let ticket = p("n.safetensors");
        let mut args = vec!["verify", "--ticket", &ticket, "--target", &target, "--json"];
        args.extend_from_slice(extra);
        let o = sslth(&args.iter().map(|s| &**s).collect::<Vec<_>>(), "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let (streamed, whole) = (verify_json(&[]), verify_json(&["--data", "digits"]));
    assert!(streamed["tight_certificate"].is_null() && !whole["tight_certificate"].is_null());
    for key in ["recomputed_certificate", "recorded_certificate", "digest_matches", "kept_edges", "density", "passed"] {
        assert!(streamed[key] == whole[key], "{key}: {} vs {}", streamed[key], whole[key]);
    }
    assert_eq!(streamed["passed"], true);
    // ... and refuses the ticket against another target.
    let o = sslth(&["train", "--arch", "64-16-10", "--bias", "--epochs", "1", "-o", &p("t2.safetensors")], "", 2);
    assert!(o.status.success());
    let o = sslth(&["verify", "--ticket", &p("n.safetensors"), "--target", &p("t2.safetensors")], "", 2);
    assert_eq!(o.status.code(), Some(2), "a ticket of another target passed: {}", stdout(&o));
    let o = sslth(&["verify", "--ticket", &p("c.safetensors"), "--target", &target, "--data", "mnist"], "", 2);
    assert!(!o.status.success() && stdout(&o).is_empty());
    let o = sslth(&["verify", "--ticket", &p("c.safetensors"), "--attack"], "", 2);
    assert_eq!(o.status.code(), Some(2), "an attack needs the target");
    assert_one_line_error(&["verify", "--ticket", &p("c.safetensors"), "--radius", "0.5"], "--target");
    let bad_radius = ["verify", "--ticket", &p("c.safetensors"), "--target", &target, "--radius", "-1"];
    assert_one_line_error(&bad_radius, "--radius must be a finite number >= 0");
    // Local certificates: every row certified on a point ball is one the
    // target and ticket agree on; a wider ball certifies no more rows.
    let local = |r: &str| {
        let o =
            sslth(&["verify", "--ticket", &p("c.safetensors"), "--target", &target, "--radius", r, "--json"], "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["local_certificates"]["certified"].as_u64().unwrap()
    };
    let (point, wide) = (local("0"), local("1"));
    assert!(point > 0 && wide <= point, "{point} rows on points, {wide} on balls of radius 1");
    // `--local-rows N`: the first N rows' balls only, certified as in the
    // run over all rows (each row's verdict stands alone).
    let compact_file = p("c.safetensors");
    let rows = |extra: &[&str]| {
        let mut args = vec!["verify", "--ticket", &compact_file, "--target", &target, "--radius", "0", "--json"];
        args.extend_from_slice(extra);
        let v: serde_json::Value = serde_json::from_str(&stdout(&sslth(&args, "", 2))).unwrap();
        (v["local_certificates"]["rows"].as_u64().unwrap(), v["local_certificates"]["certified"].as_u64().unwrap())
    };
    let (all, _) = rows(&[]);
    let (five, certified) = rows(&["--local-rows", "5"]);
    assert!(all > 5 && five == 5 && certified <= 5, "{all} rows, {five}, {certified}");
    assert_eq!(rows(&["--local-rows", "100000"]).0, all);
    assert_one_line_error(&["verify", "--ticket", &p("c.safetensors"), "--local-rows", "5"], "--radius");
    // A compact file holds no weights: its reader regenerates them, so only
    // the weights digest recorded at build time can catch an edit of its
    // seed, a scale or a mask (each keeps the header's length).
    let compact = std::fs::read(p("c.safetensors")).unwrap();
    let header_end = 8 + u64::from_le_bytes(compact[..8].try_into().unwrap()) as usize;
    let edit_header = |from: &str, to: &str| -> Vec<u8> {
        let header = String::from_utf8(compact[8..header_end].to_vec()).unwrap();
        assert!(header.contains(from), "{from} in {header}");
        let mut out = compact[..8].to_vec();
        out.extend(header.replace(from, to).into_bytes());
        out.extend(&compact[header_end..]);
        assert_eq!(out.len(), compact.len());
        out
    };
    let header = String::from_utf8(compact[8..header_end].to_vec()).unwrap();
    let scale_at = header.find("\\\"scale\\\":").unwrap() + 10;
    let digit = header.as_bytes()[scale_at] as char;
    let other = if digit == '1' { '2' } else { '1' };
    let scale_from = header[scale_at - 10..scale_at + 1].to_string();
    let scale_to = format!("{}{other}", &header[scale_at - 10..scale_at]);
    let mut mask_edit = compact.clone();
    // A bit in the middle of the data (pair 0's B layer: subset ranks).
    mask_edit[header_end + (compact.len() - header_end) / 3] ^= 0x10;
    for (what, bytes) in [
        ("seed", edit_header("\\\"seed\\\":3,", "\\\"seed\\\":4,")),
        ("scale", edit_header(&scale_from, &scale_to)),
        ("mask", mask_edit),
    ] {
        std::fs::write(p("edited.safetensors"), &bytes).unwrap();
        let o = sslth(&["verify", "--ticket", &p("edited.safetensors")], "", 2);
        assert_eq!(o.status.code(), Some(2), "an edited {what} passed: {}", stdout(&o));
        let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        // A scale decodes as before and regenerates other weights: only the
        // digest can tell. An edited seed or mask may already fail to decode.
        assert!(said.contains("DIFFERS") || (what != "scale" && said.lines().count() == 1), "{what}: {said}");
    }
    let o = sslth(&["expand", "--input", &p("c.safetensors"), "-o", &p("e.safetensors")], "", 2);
    assert!(o.status.success());
    assert_eq!(std::fs::read(p("e.safetensors")).unwrap(), std::fs::read(p("k2.safetensors")).unwrap());
    let o = sslth(&["eval", "--model", &p("e.safetensors"), "--json"], "", 2);
    let e: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(e["kind"], "ticket");
    // The ticket records the data set it was measured on; eval uses it.
    assert_eq!(e["data"], "digits");
    assert_eq!(e["test_accuracy"], rep["comparison"]["ticket_accuracy"]);

    // A tampered weight fails verification.
    let mut bytes = std::fs::read(p("k2.safetensors")).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    std::fs::write(p("bad.safetensors"), &bytes).unwrap();
    let o = sslth(&["verify", "--ticket", &p("bad.safetensors")], "", 1);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn ticket_commands_refuse_bad_input_in_one_line() {
    let d = tmpdir("bad");
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    std::fs::write(p("junk.safetensors"), b"junk").unwrap();
    let o = sslth(&["train", "--arch", "64-8-10", "--epochs", "1", "-o", &p("t.safetensors")], "", 1);
    assert!(o.status.success());
    let t = p("t.safetensors");
    // `sslth build --target TARGET -o OUT EXTRA…`
    let build = |target: &str, extra: &str| -> Vec<String> {
        let mut v: Vec<String> = vec!["build".into(), "--target".into(), target.into(), "-o".into(), p("o")];
        v.extend(extra.split_whitespace().map(String::from));
        v
    };
    let words = |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (build(&p("missing.safetensors"), "--eps 1"), "cannot read"),
        (build(&p("junk.safetensors"), "--eps 1"), "not a valid safetensors"),
        (build(&t, "--eps 0"), "eps must be"),
        (build(&t, "--weight-eps -1"), "eps must be"),
        (build(&t, "--eps 1 --density 0"), "density"),
        (build(&t, "--eps 1 --density 1.5"), "density"),
        (build(&t, ""), "--eps"),
        (build(&t, "--eps 1 --data cifar"), "unknown dataset"),
        (build(&t, "--weight-eps 0.01 --k 0"), "at least 1"),
        (build(&t, "--weight-eps 0.01 --k 5000"), "more than any side"),
        (build(&t, "--weight-eps 0.01 --k 4 --density 0.1"), "cannot be used with"),
        (build(&t, "--weight-eps 0.01 --n 3 --k 4"), "1 <= k <= n"),
        (build(&t, "--weight-eps 0.01 --n 3"), "--k"),
        (words(&format!("build --target {t} --weight-eps 0.01 -o {}", p("nodir/x"))), "no folder"),
        (words(&format!("build --target {t} --eps 1 -o {t}")), "must differ"),
        (words(&format!("build --target {t} --eps 1 -o {t} --force")), "must differ"),
        (words(&format!("train --data svhn -o {}", p("x"))), "unknown dataset"),
        (words(&format!("train --arch 64-x-10 -o {}", p("x"))), "positive widths"),
        (words(&format!("train --arch 32-10 -o {}", p("x"))), "inputs"),
        (words(&format!("eval --model {}", p("junk.safetensors"))), "not a valid safetensors"),
        (words(&format!("verify --ticket {t}")), "not a ticket"),
        (words(&format!("expand --input {t} -o {t}")), "must differ"),
        (words(&format!("predict --model {t} --input {} -o {}", p("junk.safetensors"), p("y"))), "not a .npy"),
        (words(&format!("predict --model {t} --input {} -o {}", p("x3.npy"), p("y"))), "has 3 values per row but"),
        (words(&format!("predict --model {t} --input {} -o {}", p("int.npy"), p("y"))), "dtype \"<i8\""),
        (words(&format!("predict --model {t} --input {} -o {}", p("missing.npy"), p("y"))), "cannot read"),
        (words(&format!("predict --model {t} --input {} -o {}", p("x3.npy"), p("x3.npy"))), "must differ"),
        (
            words(&format!("predict --model {} --input {} -o {}", p("junk.safetensors"), p("x3.npy"), p("y"))),
            "not a valid",
        ),
        (words(&format!("predict --model {} --input {} -o {}", p("x3.npy"), p("x3.npy"), p("y"))), "is a .npy array"),
        (words(&format!("eval --model {}", p("cut.safetensors"))), "looks truncated"),
        // A folder that takes no file is refused before the build, not after.
        (words(&format!("build --target {t} --weight-eps 0.01 -o /proc/ticket.safetensors")), "cannot write /proc"),
    ];
    let whole = std::fs::read(&t).unwrap();
    std::fs::write(p("cut.safetensors"), &whole[..whole.len() / 2]).unwrap();
    let x3 = sslth::files::npy::Matrix { rows: 2, cols: 3, data: vec![0.0; 6], inner: vec![3] };
    std::fs::write(p("x3.npy"), sslth::files::npy::to_bytes(&x3)).unwrap();
    // The same header with dtype int64 (same length), then 2·3·8 bytes.
    let header = sslth::files::npy::to_bytes(&sslth::files::npy::Matrix { data: vec![], ..x3 });
    let at = header.windows(3).position(|w| w == b"<f4").unwrap();
    let mut ints = header;
    ints[at..at + 3].copy_from_slice(b"<i8");
    ints.extend([0u8; 48]);
    std::fs::write(p("int.npy"), ints).unwrap();
    for (args, needle) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_one_line_error(&args, needle);
    }
    // The target survived every attempt to overwrite it.
    assert!(sslth(&["eval", "--model", &t], "", 1).status.success());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn rfss_experiments_write_their_files_and_refuse_bad_grids() {
    let d = tmpdir("rfss");
    let out = d.to_str().unwrap();
    let o = sslth(
        &[
            "rfss", "phase", "--dist", "product", "--k", "2", "--eps", "0.05", "--n", "4,8,16", "--trials", "60",
            "--out", out, "--json",
        ],
        "",
        2,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(d.join("phase.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    for f in ["phase_summary.csv", "phase.svg", "phase.png", "n50.svg", "n50.png"] {
        assert!(d.join(f).exists(), "{f}");
    }
    // Same seed, one thread: the same CSV.
    let o = sslth(
        &[
            "rfss", "phase", "--dist", "product", "--k", "2", "--eps", "0.05", "--n", "4,8,16", "--trials", "60",
            "--out", out, "--json",
        ],
        "",
        1,
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(d.join("phase.csv")).unwrap(), csv);
    let o = sslth(
        &[
            "rfss", "coverage", "--dist", "uniform", "--k", "1", "--eps", "0.1", "--n", "10,40", "--trials", "30",
            "--out", out, "--json",
        ],
        "",
        2,
    );
    assert!(o.status.success());
    assert!(d.join("coverage.png").exists());
    let o = sslth(&["rfss", "bounds", "--k", "4", "--eps", "0.01", "--n", "32", "--json"], "", 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["theorem2_n"], rfss::theory::theorem2_n(4, 0.01, 1.0));
    // Theorem 4 with a basis: |B| and ‖B‖ from the basis, ñ from the theory.
    let args = ["rfss", "bounds", "--k", "4", "--eps", "0.01", "--basis", "deepsets", "--spaces", "8", "--json"];
    let v: serde_json::Value = serde_json::from_str(&stdout(&sslth(&args, "", 1))).unwrap();
    assert_eq!((v["theorem4"]["basis_size"].as_u64(), v["theorem4"]["basis_norm"].as_f64()), (Some(2), Some(2.0)));
    let n = rfss::theory::theorem4_n(2, 8, 2, 2.0, 0.25, 0.01, 1.0);
    assert_eq!(v["theorem4"]["hidden_spaces"].as_f64(), Some(n));

    for (args, needle) in [
        (vec!["rfss", "bounds", "--k", "4", "--eps", "0.01", "--n", "6"], "n/2"),
        (vec!["rfss", "bounds", "--k", "4", "--eps", "1.5"], "eps must be"),
        (vec!["rfss", "bounds", "--k", "4", "--eps", "0.1", "--basis", "conv2d:4"], "odd size"),
        (vec!["rfss", "bounds", "--k", "4", "--eps", "0.1", "--basis", "cnn"], "not dense, conv2d:K or deepsets"),
        (vec!["rfss", "bounds", "--k", "0", "--eps", "0.1"], "k must be"),
        (vec!["rfss", "bounds", "--k", "2", "--eps", "0.1", "--density", "0.7"], "density"),
        (vec!["rfss", "phase", "--k", "4", "--n", "6", "--out", out], "2k"),
        (vec!["rfss", "phase", "--eps", "0", "--out", out], "eps must be"),
        (vec!["rfss", "phase", "--k", "", "--out", out], ""),
        (vec!["rfss", "coverage", "--dist", "cauchy", "--out", out], "unknown distribution"),
    ] {
        assert_one_line_error(&args, needle);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn rfss_report_quick_writes_the_page_and_figures() {
    let d = tmpdir("report");
    let o = sslth(&["rfss", "report", "--quick", "--out", d.to_str().unwrap()], "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(d.join("rfss.md")).unwrap();
    for needle in
        ["## Phase transition and constants", "c_hyp, uniform", "c_thm, product", "## Coverage", "## Figure 1"]
    {
        assert!(page.contains(needle), "{needle}");
    }
    for f in ["phase.png", "n50.svg", "coverage.png", "figure1.png", "figure1.csv", "phase_summary.csv"] {
        assert!(d.join(f).exists(), "{f}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn build_keeps_its_promises_or_refuses() {
    let d = tmpdir("promises");
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    let t = p("t.safetensors");
    assert!(sslth(&["train", "--arch", "64-8-10", "--bias", "--epochs", "2", "-o", &t], "", 2).status.success());
    let run = |line: &str| sslth(&line.split_whitespace().collect::<Vec<_>>(), "", 2);

    // A forced sizing whose certificate exceeds --eps: refused, nothing written…
    let over = format!("build --target {t} --eps 1e-3 --n 4 --k 2 --accept-misses -o {}", p("over.safetensors"));
    // (The plan is printed first, on stdout; the error is one line.)
    let o = run(&over);
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("exceeds --eps 0.001") && err.contains("nothing written"), "{err}");
    assert!(!d.join("over.safetensors").exists());
    // …unless accepted, and then the report says so.
    let o = run(&format!("{over} --accept-over-eps --json"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rep["accepted_over_eps"], 1e-3);
    assert!(rep["certificate"]["bound"].as_f64().unwrap() > 1e-3);
    let o = run(&format!(
        "build --target {t} --eps 1e-3 --n 4 --k 2 --accept-misses --accept-over-eps -o {}",
        p("over2.safetensors")
    ));
    assert!(stdout(&o).contains("exceeds --eps 0.001; written anyway"), "{}", stdout(&o));

    // One fixed scale for every B layer, recorded; too small a scale refused.
    let o = run(&format!("build --target {t} --weight-eps 0.02 --k 4 --scale 20 --json -o {}", p("s.safetensors")));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(rep["pairs"].as_array().unwrap().iter().all(|q| q["scale"] == 20.0), "{rep}");
    let small = format!("build --target {t} --weight-eps 0.02 --scale 1e-3 -o {}", p("s2.safetensors"));
    assert_one_line_error(&small.split_whitespace().collect::<Vec<_>>(), "cannot reach layer 0");

    // A target with no metadata (as exported from PyTorch): built and
    // certified, not measured; the certificate states its domain.
    let (net, _) = sslth::files::target::load(std::path::Path::new(&t), None).unwrap();
    let mlp = net.linear_weights().unwrap();
    let plain = |layers: &[sslth::net::LinearWeights]| {
        sslth::files::target::to_safetensors(&sslth::net::Network::mlp(layers), None, Default::default())
    };
    std::fs::write(p("plain.safetensors"), plain(&mlp)).unwrap();
    let o = run(&format!(
        "build --target {} --weight-eps 0.02 --density 0.05 -o {}",
        p("plain.safetensors"),
        p("plain-t.safetensors")
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("not measured: no data"), "{}", stdout(&o));
    assert!(stdout(&o).contains("for every x with |x|_2 <= 1"), "{}", stdout(&o));
    let o =
        run(&format!("build --target {t} --weight-eps 0.02 --density 0.03 --nonneg-input -o {}", p("nn.safetensors")));
    assert!(stdout(&o).contains("for every x >= 0 (each coordinate) with |x|_2 <= 1"), "{}", stdout(&o));

    // One corrupted weight of 2.9e38: refused at once, naming it.
    let mut bad = mlp.clone();
    bad[1].weight[13] = 2.9e38;
    std::fs::write(p("bad.safetensors"), plain(&bad)).unwrap();
    // Refused by validation, before any sizing could run on such a weight.
    let hostile = format!("build --target {} --weight-eps 0.01 -o {}", p("bad.safetensors"), p("bad-t.safetensors"));
    assert_one_line_error(&hostile.split_whitespace().collect::<Vec<_>>(), "2.weight[1, 5] = 2.9000e38");
    let hostile = format!("build --target {} --eps 1 -o {}", p("bad.safetensors"), p("bad-t.safetensors"));
    assert_one_line_error(&hostile.split_whitespace().collect::<Vec<_>>(), "below float32 resolution");
    // A tolerance below float32's resolution says what set the scale: a
    // fixed --scale or a quantile is not the largest weight.
    for (how, says) in [("--scale 10", "the scale is --scale = 10"), ("--scale-quantile 0.5", "the 0.5 quantile")] {
        let fine = format!("build --target {t} --weight-eps 1e-9 --k 4 {how} -o {}", p("fine.safetensors"));
        assert_one_line_error(&fine.split_whitespace().collect::<Vec<_>>(), says);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn ctrl_c_prints_the_best_subset_so_far() {
    let child = Command::new(env!("CARGO_BIN_EXE_sslth"))
        .args(["rfss", "solve", "--random", "64", "--seed", "1", "--k", "32", "--target", "0.123", "--eps", "1e-12"])
        .args(["--mode", "best"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the solver has installed its Ctrl-C handler (SIGINT,
    // signal 2, is then in /proc's caught mask), however loaded the machine:
    // the search itself runs for minutes.
    let caught = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim).unwrap_or("0");
        u64::from_str_radix(mask, 16).unwrap_or(0) & 0b10 != 0
    };
    while !caught() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
    let o = child.wait_with_output().unwrap();
    let (out, err) = (stdout(&o), String::from_utf8_lossy(&o.stderr).to_string());
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(out.contains("not proved (interrupted by Ctrl-C"), "{out}");
    let subset = out.lines().find(|l| l.starts_with("subset")).unwrap();
    assert_eq!(subset.matches(',').count(), 31, "{subset}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("interrupted"), "{err}");
}

/// CNN and DeepSets targets through the binary: train, build (full and
/// compact), eval and predict agree with each other; bad conv and set files
/// get one-line errors. (Long: one scenario per kind, steps feeding each
/// other.)
#[test]
fn equivariant_targets_train_build_and_refuse_bad_files() {
    let dir = std::env::temp_dir().join(format!("sslth-cli-equi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).display().to_string();
    for (model, data) in [("cnn", "digits"), ("deepsets", "digit-sets")] {
        let target = p(&format!("{model}.safetensors"));
        let o = sslth(
            &["train", "--model", model, "--data", data, "--bias", "--epochs", "3", "-o", &target, "--json"],
            "",
            2,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let accuracy = |file: &str| -> f64 {
            let o = sslth(&["eval", "--model", file, "--json"], "", 2);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["test_accuracy"].as_f64().unwrap()
        };
        // Theorem 4 per layer: the layer's own basis size and norm.
        let o = sslth(&["rfss", "bounds", "--k", "4", "--eps", "0.01", "--network", &target, "--json"], "", 1);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let first = &v["theorem4_layers"][0];
        let (size, norm) = if model == "cnn" { (9, 9.0) } else { (2, 2.0) };
        assert_eq!((first["basis_size"].as_u64().unwrap(), first["basis_norm"].as_f64().unwrap()), (size, norm));
        let (c_in, c_out) = (first["c_in"].as_u64().unwrap() as usize, first["c_out"].as_u64().unwrap() as usize);
        let want = rfss::theory::theorem4_n(3, c_in.max(c_out), size as usize, norm, 0.25, 0.01, 1.0);
        assert_eq!(first["hidden_spaces"].as_f64().unwrap(), want);
        for compact in [false, true] {
            let ticket = p(&format!("{model}-{compact}.safetensors"));
            let mut args = vec!["build", "--target", &target, "--weight-eps", "0.001", "--n", "24", "--k", "6"];
            args.push("--accept-misses");
            args.extend(["-o", &ticket, "--json"]);
            if compact {
                args.push("--compact");
            }
            let o = sslth(&args, "", 2);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let rep: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
            // eval reads the ticket file and scores it as the build did.
            let built = rep["comparison"]["ticket_accuracy"].as_f64().unwrap();
            assert_eq!(accuracy(&ticket), built);
            assert_eq!(rep["comparison"]["target_accuracy"].as_f64().unwrap(), accuracy(&target));
            let o = sslth(&["verify", "--ticket", &ticket, "--target", &target, "--json"], "", 2);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
            let (again, recorded) =
                (v["recomputed_certificate"].as_f64().unwrap(), v["recorded_certificate"].as_f64().unwrap());
            assert!((again - recorded).abs() <= 1e-9 * recorded, "{again} vs {recorded}");
        }
    }
    // Sets in PyTorch's layout [rows, N, F]: the same logits as the
    // channel-major rows for N = 32, and any other N runs; ragged sets
    // (an object array) are refused.
    let npy = |name: &str, descr: &str, shape: &str, body: &[u8]| {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(body);
        std::fs::write(p(name), b).unwrap();
        p(name)
    };
    let sets = sslth::data::digit_sets().test;
    let n = sslth::data::SET_POINTS;
    let rows = 5;
    let flat = &sets.inputs[..rows * 3 * n];
    let torch: Vec<f32> = (0..rows * n * 3).map(|i| flat[(i / (3 * n)) * 3 * n + (i % 3) * n + (i / 3) % n]).collect();
    let two_d = npy_file(&dir.join("sets2d.npy"), &[rows, 3 * n], flat);
    let three_d = npy_file(&dir.join("sets3d.npy"), &[rows, n, 3], &torch);
    let small = npy_file(&dir.join("sets20.npy"), &[rows, 20, 3], &torch[..rows * 60]);
    let model = p("deepsets.safetensors");
    let logits = |input: &str, out: &str| {
        let o = sslth(&["predict", "--model", &model, "--input", input, "--scaled", "-o", &p(out)], "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        sslth::files::npy::read(&dir.join(out)).unwrap()
    };
    assert_eq!(logits(&two_d, "y2.npy"), logits(&three_d, "y3.npy"));
    assert_eq!(logits(&small, "y20.npy").rows, rows);
    let ragged = npy("ragged.npy", "|O", "(2,)", &[0u8; 16]);
    assert_one_line_error(&["predict", "--model", &model, "--input", &ragged, "-o", &p("y.npy")], "ragged");
    // Bad files: an even kernel, a rectangular one, unknown tensor names,
    // set layers without their mean map, a set target scored on images.
    let st = |name: &str, tensors: &[(&str, Vec<usize>)], meta: &str| {
        let mut header = serde_json::Map::new();
        header.insert("__metadata__".into(), serde_json::from_str(meta).unwrap());
        let mut data = Vec::new();
        for (n, shape) in tensors {
            let len: usize = shape.iter().product::<usize>() * 4;
            header.insert(
                (*n).into(),
                serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [data.len(), data.len() + len]}),
            );
            data.resize(data.len() + len, 0u8);
        }
        let h = serde_json::to_string(&header).unwrap();
        let mut bytes = (h.len() as u64).to_le_bytes().to_vec();
        bytes.extend(h.as_bytes());
        bytes.extend(data);
        std::fs::write(p(name), bytes).unwrap();
        p(name)
    };
    let img = r#"{"input": "{\"kind\":\"image\",\"channels\":1,\"height\":8,\"width\":8}"}"#;
    let even = st("even.safetensors", &[("0.weight", vec![4, 1, 2, 2]), ("4.weight", vec![10, 4])], img);
    let rect = st("rect.safetensors", &[("0.weight", vec![4, 1, 3, 1]), ("4.weight", vec![10, 4])], img);
    let unknown = st("unknown.safetensors", &[("0.conv.weight", vec![4, 1, 3, 3]), ("4.weight", vec![10, 4])], img);
    let half = st("half.safetensors", &[("0.identity.weight", vec![4, 3]), ("3.weight", vec![10, 4])], "{}");
    let sets = p("deepsets.safetensors");
    for (args, needle) in [
        (vec!["build", "--target", &even, "--weight-eps", "0.01", "-o", &p("x.safetensors")], "odd size"),
        (vec!["build", "--target", &rect, "--weight-eps", "0.01", "-o", &p("x.safetensors")], "square"),
        (vec!["eval", "--model", &unknown], "unknown tensor '0.conv.weight'"),
        (vec!["eval", "--model", &half, "--data", "digit-sets"], "needs both"),
        (vec!["eval", "--model", &sets, "--data", "digits"], "takes 3 input channels but the data have 1"),
        (vec!["verify", "--ticket", &p("cnn-false.safetensors"), "--target", &sets], "basis mismatch"),
    ] {
        assert_one_line_error(&args, needle);
        assert!(!dir.join("x.safetensors").exists());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `sslth frontier`: one row per input assumption, scale quantile and n,
/// each the ticket `sslth build` makes with those options (same kept and
/// block edges, misses), compact bits per weight from the file it would
/// write; each front holds only tickets its rule admits. (Long: each row
/// checked against its own `sslth build`, in one pass.)
#[test]
fn frontier_tabulates_the_builds_it_names() {
    let dir = std::env::temp_dir().join(format!("sslth-frontier-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).display().to_string();
    // 20 epochs: margins wide enough that a ticket with no miss keeps
    // 99.5% agreement (after 5 epochs, 81.6% accuracy, it kept 99.2–99.4%).
    let o = sslth(&["train", "--arch", "64-12-10", "--bias", "--epochs", "20", "-o", &p("t.safetensors")], "", 2);
    assert!(o.status.success());
    let (t, c) = (p("t.safetensors"), p("c"));
    let args = [
        "frontier",
        "--target",
        &t,
        "--ks",
        "4",
        "--ns",
        "8",
        "--inputs",
        "signed,nonneg",
        "--scale-quantiles",
        "1,0.5",
        "--out",
        &p("f"),
    ];
    let o = sslth(&args, "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("f/frontier.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let at = |r: &[&str], name: &str| r[head.iter().position(|h| *h == name).unwrap()].to_string();
    let num = |r: &[&str], name: &str| at(r, name).parse::<f64>().unwrap();
    let points: Vec<String> =
        rows.iter().map(|r| format!("{} {} {}", at(r, "inputs"), at(r, "scale_quantile"), at(r, "sized"))).collect();
    let order = [
        "signed 1.0 true",
        "signed 1.0 false",
        "signed 0.5 true",
        "signed 0.5 false",
        "nonneg 1.0 true",
        "nonneg 1.0 false",
        "nonneg 0.5 true",
        "nonneg 0.5 false",
    ];
    assert_eq!(points, order);
    for r in &rows {
        let (eps, q) = (at(r, "weight_eps"), at(r, "scale_quantile"));
        let mut args =
            vec!["build", "--target", &t, "--weight-eps", &eps, "--k", "4", "--compact", "-o", &c, "--force"];
        args.extend(["--json", "--scale-quantile", &q]);
        if at(r, "sized") == "false" {
            assert_eq!(at(r, "n"), "8 8");
            args.extend(["--n", "8", "--accept-misses"]);
        }
        if at(r, "inputs") == "nonneg" {
            args.push("--nonneg-input");
        }
        let o = sslth(&args, "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rep: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let w = rep["target_weights"].as_f64().unwrap();
        assert!((num(r, "kept_per_weight") - rep["kept_edges"].as_f64().unwrap() / w).abs() < 1e-9, "{r:?}");
        assert!((num(r, "block_random_per_weight") - rep["block_edges"].as_f64().unwrap() / w).abs() < 1e-9);
        assert_eq!(num(r, "misses"), rep["rfss_misses"].as_f64().unwrap(), "{r:?}");
        assert!(num(r, "block_random_per_weight") < num(r, "random_per_weight"));
        let file = std::fs::metadata(&c).unwrap().len() as f64 * 8.0 / w;
        assert!((num(r, "compact_bits_per_weight") - file).abs() < 1e-9, "{r:?}: {file}");
        // The fronts hold only tickets with no miss and 99.5% agreement,
        // and tickets within 0.1 point of the target's accuracy.
        if at(r, "on_front") == "true" {
            assert!(num(r, "misses") == 0.0 && num(r, "agreement") >= 0.995, "{r:?}");
        }
        if at(r, "on_accuracy_front") == "true" {
            assert!(num(r, "ticket_accuracy") >= num(r, "target_accuracy") - 0.001 - 1e-9, "{r:?}");
        }
    }
    // The largest weight's quantile is the default ticket: the rows of q 1
    // and of a build without a quantile agree (checked above with
    // `--scale-quantile 1`); a quantile below it changes the ticket.
    assert_ne!(at(&rows[0], "kept_per_weight"), at(&rows[2], "kept_per_weight"));
    assert!(rows.iter().any(|r| at(r, "on_front") == "true"), "{csv}");
    assert!(rows.iter().any(|r| at(r, "on_accuracy_front") == "true"), "{csv}");
    assert!(std::path::Path::new(&p("f/frontier.svg")).exists() && std::path::Path::new(&p("f/frontier.md")).exists());
    // The library names parameters; the CLI prints them as its flags.
    assert_one_line_error(
        &["frontier", "--target", &t, "--ks", "0", "--out", &p("g")],
        "--ks needs subset sizes of at least 1",
    );
    assert_one_line_error(
        &["frontier", "--target", &t, "--ns", "0", "--out", &p("g")],
        "--ns needs sample counts of at least 1",
    );
    assert_one_line_error(
        &["frontier", "--target", &t, "--weight-eps", "0", "--out", &p("g")],
        "--weight-eps must be finite numbers > 0",
    );
    assert_one_line_error(
        &["frontier", "--target", &t, "--scale-quantiles", "1,1.5", "--out", &p("g")],
        "--scale-quantiles must be numbers in (0, 1]",
    );
    let k0 =
        ["build", "--target", &t, "--k", "0", "--weight-eps", "0.01", "--data", "none", "-o", &p("k0.safetensors")];
    assert_one_line_error(&k0, "error: --k must be at least 1");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `sslth popup`: edge-popup learns (far above chance on digits), keeps
/// exactly ⌈density·edges⌉ of every layer, writes tickets that `verify`,
/// `eval` and `expand` take (compact expands to the full file, byte for
/// byte), is the same for 1 and 2 threads, and refuses bad input in one
/// line without writing.
#[test]
fn popup_finds_tickets_that_the_ticket_commands_run() {
    let dir = std::env::temp_dir().join(format!("sslth-popup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).display().to_string();
    let popup = |out: &str, threads: usize, extra: &[&str]| {
        let mut args = vec!["popup", "--arch", "64-100-10", "--density", "0.3", "--epochs", "20", "--json", "-o", out];
        args.extend(extra);
        let o = sslth(&args, "", threads);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()
    };
    let rep = popup(&p("one.safetensors"), 1, &[]);
    popup(&p("two.safetensors"), 2, &[]);
    assert_eq!(std::fs::read(p("one.safetensors")).unwrap(), std::fs::read(p("two.safetensors")).unwrap());
    assert!(rep["test_accuracy"].as_f64().unwrap() > 0.8, "{rep}");
    // ⌈0.3·6400⌉ + ⌈0.3·1000⌉ kept edges.
    assert_eq!(rep["kept_edges"], 1920 + 300);
    assert_eq!(rep["random_edges"], 6400 + 1000);
    let o = sslth(&["verify", "--ticket", &p("one.safetensors")], "", 2);
    assert!(o.status.success() && stdout(&o).contains("0 mismatches"), "{}", stdout(&o));
    let o = sslth(&["eval", "--model", &p("one.safetensors"), "--json"], "", 2);
    let ev: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(ev["test_accuracy"], rep["test_accuracy"]);
    popup(&p("c.safetensors"), 2, &["--compact"]);
    let o = sslth(&["expand", "--input", &p("c.safetensors"), "-o", &p("e.safetensors")], "", 2);
    assert!(o.status.success());
    assert_eq!(std::fs::read(p("e.safetensors")).unwrap(), std::fs::read(p("one.safetensors")).unwrap());
    // A popup ticket records no certificate to check against a target.
    let o = sslth(&["train", "--arch", "64-12-10", "--epochs", "1", "-o", &p("t.safetensors")], "", 2);
    assert!(o.status.success());
    assert_one_line_error(
        &["verify", "--ticket", &p("one.safetensors"), "--target", &p("t.safetensors")],
        "records no certificate",
    );
    let never = p("never-written.safetensors");
    let bad = |extra: &[&str], needle: &str| {
        let mut args = vec!["popup", "-o", &never];
        args.extend(extra);
        assert_one_line_error(&args, needle);
        assert!(!std::path::Path::new(&never).exists());
    };
    bad(&["--density", "0"], "(0, 1]");
    bad(&["--density", "1.5"], "(0, 1]");
    bad(&["--density", "nan"], "(0, 1]");
    bad(&["--arch", "32-10"], "takes 32 inputs");
    bad(&["--arch", "64-5"], "5 outputs");
    bad(&["--arch", "1-8:10"], "drop the ':'");
    bad(&["--epochs", "0"], "at least 1");
    bad(&["--data", "cifar"], "unknown dataset");
    bad(&["--logit-scale", "-1"], "--logit-scale");
    bad(&["--like", &p("t.safetensors")], "not a ticket");
    let same = p("one.safetensors");
    assert_one_line_error(&["popup", "--like", &same, "-o", &same, "--force"], "must differ");
    assert_one_line_error(&["popup", "-o", &same], "exists");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `sslth compare`: the target, the constructed ticket, edge-popup in the
/// construction's network and in a network of the target's shape, one
/// CSV row each, with the densities and counts each method promises; a
/// density the construction cannot reach is a row saying why; bad input
/// is refused in one line. (Long: one run of `compare`, costly, checked
/// row by row.)
#[test]
fn compare_puts_the_methods_side_by_side() {
    let dir = std::env::temp_dir().join(format!("sslth-compare-{}", std::process::id()));
    let out = dir.display().to_string();
    let o = sslth(
        &[
            "compare",
            "--arch",
            "64-12-10",
            "--target-epochs",
            "5",
            "--popup-epochs",
            "2",
            "--densities",
            "0.1,0.6",
            "--widths",
            "1",
            "--seeds",
            "2",
            "--lrs",
            "0.1,0.01",
            "--tune-epochs",
            "1",
            "--out",
            &out,
        ],
        "",
        2,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("compare.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let methods: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    let inside = "popup in the construction's network";
    assert_eq!(
        methods,
        [
            ("target", "", ""),
            ("construction", "", "0.1"),
            (inside, "uniform", "0.1"),
            ("popup ×1 width", "uniform", "0.1"),
            ("popup ×1 width", "signed-constant", "0.1"),
            ("construction", "", "0.6"),
            (inside, "", "0.6"),
            ("popup ×1 width", "uniform", "0.6"),
            ("popup ×1 width", "signed-constant", "0.6"),
        ]
    );
    let num = |r: &Vec<&str>, i: usize| r[i].parse::<f64>().unwrap();
    assert!(num(&rows[1], 3) <= 0.1, "the construction keeps at most the density asked: {csv}");
    // Edge-popup keeps ⌈0.1·768⌉ + ⌈0.1·120⌉ edges of a 64-12-10 network.
    assert_eq!(rows[3][5], "89");
    assert!((num(&rows[2], 3) - 0.1).abs() < 1e-3);
    assert!(rows[5][14].contains("too high"), "{csv}");
    // Every popup network ran the search once per seed, and each cell's
    // mean lies within its runs' range.
    for r in rows.iter().filter(|r| r[0].starts_with("popup") && r[7] != "0") {
        assert_eq!(r[7], "2", "{csv}");
        assert_eq!(r[14..].join(",").matches("lr 0.").count(), 2, "{csv}");
        let (mean, sd, lo, hi) = (num(r, 8), num(r, 9), num(r, 10), num(r, 11));
        assert!(lo <= mean && mean <= hi && sd >= 0.0 && sd <= hi - lo + 1e-12, "{csv}");
    }
    for f in ["compare.md", "accuracy-density.svg", "accuracy-size.png"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    // Under a file, no folder can be created (even for root).
    let blocked = format!("{}/c", dir.join("compare.csv").display());
    let bad = |extra: &[&str], needle: &str| {
        let mut args = vec!["compare", "--out", blocked.as_str()];
        args.extend(extra);
        if !args.contains(&"--arch") {
            args.extend(["--arch", "64-12-10"]);
        }
        assert_one_line_error(&args, needle);
    };
    bad(&["--densities", "0"], "(0, 1]");
    bad(&["--widths", "0"], "at least 1");
    bad(&["--popup-epochs", "0"], "at least 1");
    bad(&["--seeds", "0"], "at least 1");
    bad(&["--lrs", "0"], "learning rates > 0");
    bad(&["--arch", "32-10"], "takes 32 inputs");
    assert_one_line_error(&["compare", "--arch", "64-10", "--out", &blocked], "cannot create");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A float32 .npy file of shape `[rows, inner…]`.
fn npy_file(path: &std::path::Path, shape: &[usize], data: &[f32]) -> String {
    let (rows, inner) = (shape[0], shape[1..].to_vec());
    let m = sslth::files::npy::Matrix { rows, cols: inner.iter().product(), data: data.to_vec(), inner };
    std::fs::write(path, sslth::files::npy::to_bytes(&m)).unwrap();
    path.display().to_string()
}

/// A CNN written with its architecture but no input scale (as
/// `Model.save` of an imported PyTorch model writes it) runs in `predict`
/// on images `[rows, C, H, W]` or flat rows, with the logits of the file
/// it was exported from; a plain state_dict of the same CNN (no
/// metadata: nothing says its padding, stride or pooling) is refused in
/// one line that names `sslth.from_torch`, and so are examples of the
/// wrong shape for a dense model. Built with `--data`, its ticket records
/// no input scale, like its target, so both take the same raw inputs.
#[test]
fn pytorch_exports_run_in_predict_and_keep_one_input_scale() {
    let d = tmpdir("exports");
    let p = |n: &str| d.join(n).display().to_string();
    let cnn = p("cnn.safetensors");
    let o = sslth(&["train", "--model", "cnn", "--data", "digits", "--bias", "--epochs", "2", "-o", &cnn], "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (net, info) = sslth::files::target::load(std::path::Path::new(&cnn), None).unwrap();
    assert!(info.input_scale.is_some());
    let export = p("export.safetensors");
    std::fs::write(&export, sslth::files::target::to_safetensors(&net, None, Default::default())).unwrap();

    let test = sslth::data::digits().test;
    let rows = 5;
    let x = &test.inputs[..rows * 64];
    let images = npy_file(&d.join("x4.npy"), &[rows, 1, 8, 8], x);
    let flat = npy_file(&d.join("x2.npy"), &[rows, 64], x);
    let squares = npy_file(&d.join("x3.npy"), &[rows, 8, 8], x);
    let logits = |model: &str, input: &str, extra: &[&str], out: &str| {
        let mut args = vec!["predict", "--model", model, "--input", input, "-o"];
        let out = p(out);
        args.push(&out);
        args.extend(extra);
        let o = sslth(&args, "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        sslth::files::npy::read(std::path::Path::new(&out)).unwrap().data
    };
    // The export takes the (already scaled) images as they are; the
    // original, told --scaled, gives the same logits.
    assert_eq!(logits(&export, &images, &[], "y1.npy"), logits(&cnn, &images, &["--scaled"], "y2.npy"));
    assert_eq!(logits(&export, &flat, &[], "y3.npy"), logits(&export, &images, &[], "y7.npy"));
    let plain = p("plain.safetensors");
    let (_, tensors) = net.architecture();
    let tensors = tensors
        .into_iter()
        .map(|(n, s, v)| (n, safetensors::Dtype::F32, s, sslth::files::safetensors::f32_bytes(&v)))
        .collect();
    std::fs::write(&plain, sslth::files::safetensors::serialize_typed(tensors, Default::default())).unwrap();
    for args in [
        vec!["predict", "--model", &plain, "--input", &images, "-o", &p("y6.npy")],
        vec![
            "build",
            "--target",
            &plain,
            "--data",
            "digits",
            "--k",
            "4",
            "--weight-eps",
            "0.01",
            "-o",
            &p("t.safetensors"),
        ],
    ] {
        assert_one_line_error(&args, "sslth.from_torch(model, example_input)");
    }

    let mlp = p("mlp.safetensors");
    let o = sslth(&["train", "--data", "digits", "--arch", "64-8-10", "--epochs", "1", "-o", &mlp], "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_one_line_error(&["predict", "--model", &mlp, "--input", &squares, "-o", &p("y4.npy")], "shaped [8, 8]");
    assert_one_line_error(&["predict", "--model", &cnn, "--input", &squares, "-o", &p("y5.npy")], "[rows, 1, 8, 8]");

    let ticket = p("ticket.safetensors");
    let args = ["build", "--target", &export, "--data", "digits", "--k", "4", "--weight-eps", "0.01", "-o", &ticket];
    let o = sslth(&args, "", 2);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = sslth::files::read_ticket(std::path::Path::new(&ticket)).unwrap();
    assert_eq!((t.meta.input_scale, t.meta.data.as_deref()), (None, Some("digits")));
    // A ticket where a target belongs is named as such.
    let again = ["build", "--target", &ticket, "--k", "4", "--weight-eps", "0.01", "-o", &p("t2.safetensors")];
    assert_one_line_error(&again, "is a ticket, not a target");
}

/// `build --shard I/N` and `merge`: the shares of any count, merged in any
/// order, with or without repair rounds, give the one-machine ticket's
/// bytes; what is not one build's shares is refused in one line. (Long:
/// one scenario, every refusal beside the build it refuses.)
#[test]
fn sharded_builds_merge_into_the_one_machine_ticket() {
    let d = tmpdir("shards");
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    for (name, seed) in [("t.safetensors", "0"), ("other.safetensors", "1")] {
        let o =
            sslth(&["train", "--arch", "64-12-10", "--bias", "--epochs", "3", "--seed", seed, "-o", &p(name)], "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let target = p("t.safetensors");
    let opts = ["--k", "3", "--weight-eps", "0.02", "--seed", "5", "--data", "none"];
    let run = |extra: &[&str]| {
        let mut args = vec!["build", "--target", target.as_str()];
        args.extend_from_slice(&opts);
        args.extend_from_slice(extra);
        let o = sslth(&args, "", 2);
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let merge = |out: &str, shards: &[String], extra: &[&str]| {
        let out = p(out);
        let mut args = vec!["merge", "--target", target.as_str(), "--data", "none", "--force", "-o", out.as_str()];
        args.extend(shards.iter().map(String::as_str));
        args.extend_from_slice(extra);
        let o = sslth(&args, "", 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(out).unwrap()
    };
    let (full, compact) = (p("one.safetensors"), p("one-c.safetensors"));
    run(&["-o", &full]);
    run(&["-o", &compact, "--compact"]);
    let (full, compact) = (std::fs::read(full).unwrap(), std::fs::read(compact).unwrap());
    let mut repaired_by_rounds = false;
    for count in [1usize, 3, 7] {
        let shards: Vec<String> = (0..count).map(|i| p(&format!("r1-{i}-of-{count}"))).collect();
        for (i, s) in shards.iter().enumerate() {
            run(&["--shard", &format!("{i}/{count}"), "-o", s]);
        }
        let reversed: Vec<String> = shards.iter().rev().cloned().collect();
        assert_eq!(merge("m.safetensors", &reversed, &[]), full, "{count} shards");
        assert_eq!(merge("mc.safetensors", &shards, &["--compact"]), compact, "{count} shards, compact");
        // Repair rounds on two shards each, until a round has nothing
        // left; merged with them all, the same bytes.
        let mut all = shards.clone();
        for round in 2..10 {
            let next: Vec<String> = (0..2).map(|i| p(&format!("r{round}-{i}-of-{count}"))).collect();
            for (i, s) in next.iter().enumerate() {
                let mut extra = vec!["--shard".to_string(), format!("{i}/2"), "-o".into(), s.clone(), "--after".into()];
                extra.extend(all.iter().cloned());
                run(&extra.iter().map(String::as_str).collect::<Vec<_>>());
            }
            let parts = |s: &String| sslth::files::header_metadata(std::path::Path::new(s)).unwrap()["parts"].clone();
            let empty = next.iter().all(|s| parts(s) == "[]");
            all.extend(next);
            if empty {
                break;
            }
            repaired_by_rounds = true;
        }
        assert_eq!(merge("mr.safetensors", &all, &[]), full, "{count} shards with repair rounds");
    }
    assert!(repaired_by_rounds, "no pair of this build needed a repair round");

    // Refusals.
    let base = ["merge", "--target", target.as_str(), "--data", "none", "-o"];
    let refuse = |out: &str, shards: &[&str], needle: &str| {
        let out = p(out);
        let mut args = base.to_vec();
        args.push(&out);
        args.extend_from_slice(shards);
        assert_one_line_error(&args, needle);
    };
    let (s0, s1, s2) = (p("r1-0-of-3"), p("r1-1-of-3"), p("r1-2-of-3"));
    refuse("x1", &[&s0, &s2], "shard 1/3 of round 1 is missing");
    refuse("x2", &[&s0, &s1, &s2, &s1], "are both shard 1/3");
    refuse("x3", &[&s0, &s1, &p("one.safetensors")], "is not an sslth shard");
    refuse("x4", &[&s0, &s1, &p("nothing.shard")], "cannot read");
    // Another seed (other options), another target.
    let other = p("seed6.shard");
    let mut args = vec!["build", "--target", target.as_str(), "--k", "3", "--weight-eps", "0.02", "--seed", "6"];
    args.extend(["--shard", "2/3", "-o", other.as_str()]);
    assert!(sslth(&args, "", 2).status.success());
    refuse("x5", &[&s0, &s1, &other], "another build");
    let foreign = p("foreign.shard");
    let other_target = p("other.safetensors");
    let mut args = vec!["build", "--target", other_target.as_str()];
    args.extend_from_slice(&opts);
    args.extend(["--shard", "0/1", "-o", foreign.as_str()]);
    assert!(sslth(&args, "", 2).status.success());
    refuse("x6", &[&foreign], "another target");
    assert_one_line_error(
        &["build", "--target", &target, "--k", "3", "--weight-eps", "0.02", "--shard", "3/3", "-o", &p("y")],
        "I/N",
    );
    // A next round with other options than the earlier rounds', or over
    // one of them.
    let (y, after) = (p("y"), [s0.as_str(), s1.as_str(), s2.as_str()]);
    for (k, out, needle) in [("4", y.as_str(), "other options"), ("3", s0.as_str(), "never overwritten")] {
        let mut args = vec!["build", "--target", &target, "--k", k, "--weight-eps", "0.02", "--seed", "5"];
        args.extend(["--shard", "0/1", "-o", out, "--force", "--after"]);
        args.extend(after);
        assert_one_line_error(&args, needle);
    }
}

/// `--data mnist` reads the IDX files of the folder `--data-dir` names (or
/// `mnist:DIR`), and without one says in one line how to give it; a plain
/// state_dict of Linear layers is read with a note saying so.
#[test]
fn mnist_comes_from_the_folder_given() {
    let d = tmpdir("mnist");
    let mlp = d.join("mlp.safetensors");
    let layers = [(784, 16), (16, 10)].map(|(i, o)| sslth::net::LinearWeights {
        d_in: i,
        d_out: o,
        weight: (0..i * o).map(|k| ((k * 7919 % 1000) as f32 / 1000.0 - 0.5) * 0.1).collect(),
        bias: None,
    });
    let net = sslth::net::Network::mlp(&layers);
    let (_, tensors) = net.architecture();
    let tensors = tensors
        .into_iter()
        .map(|(n, s, v)| (n, safetensors::Dtype::F32, s, sslth::files::safetensors::f32_bytes(&v)))
        .collect();
    std::fs::write(&mlp, sslth::files::safetensors::serialize_typed(tensors, Default::default())).unwrap();
    let mlp = mlp.display().to_string();
    assert_one_line_error(&["eval", "--model", &mlp, "--data", "mnist"], "name the data set mnist:DIR");
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    if shared.is_dir() {
        let dir = shared.display().to_string();
        let named = format!("mnist:{dir}");
        for args in [
            vec!["eval", "--model", &mlp, "--data", "mnist", "--data-dir", &dir],
            vec!["eval", "--model", &mlp, "--data", &named],
        ] {
            let o = sslth(&args, "", 2);
            let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            assert!(o.status.success(), "{err}");
            assert!(out.contains("on mnist") && out.contains("(10000 test rows)"), "{out}");
            assert!(err.contains("note:") && err.contains("read as nn.Sequential Linear layers"), "{err}");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}
