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
