//! The JSON Lines batch format of `sslth rfss solve --batch` (feature
//! `jsonl`).
//!
//! In: one instance a line,
//! `{"samples":[...],"k":K,"target":Z,"eps":E,"mode":"best"|"within"}`
//! (`mode` may be left out: `within`). Out: exactly one line per input line,
//! in input order, either
//! `{"status":"found"|"none"|"unknown","found":BOOL,"subset":[...],"sum":S,"gap":G,"optimal":BOOL}`
//! (0-based ascending indices, G = |S − Z| from a compensated sum) or
//! `{"error":"...","line":N}` (1-based line number) for a line that is not
//! valid JSON or not a valid instance.

use crate::batch::solve_batch;
use crate::instance::{Instance, Mode};
use crate::solver::{Answer, Budget, Status};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

/// One input line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The samples x_1..x_n.
    pub samples: Vec<f64>,
    /// The subset size.
    pub k: usize,
    /// The target z.
    pub target: f64,
    /// The tolerance ε.
    pub eps: f64,
    /// `best` or `within` (default).
    #[serde(default)]
    pub mode: Mode,
}

/// One output line for a solved instance.
#[derive(Debug, Serialize)]
pub struct Reply<'a> {
    /// found, none or unknown.
    pub status: Status,
    /// Whether the subset is within ε.
    pub found: bool,
    /// 0-based indices, ascending.
    pub subset: &'a [usize],
    /// Σ_S (compensated).
    pub sum: f64,
    /// |Σ_S − z|.
    pub gap: f64,
    /// Whether the subset is proved optimal.
    pub optimal: bool,
}

impl<'a> From<&'a Answer> for Reply<'a> {
    fn from(a: &'a Answer) -> Self {
        Reply { status: a.status, found: a.found(), subset: &a.subset, sum: a.sum, gap: a.gap, optimal: a.optimal }
    }
}

/// One output line for a line that could not be solved.
#[derive(Debug, Serialize)]
pub struct ErrorReply {
    /// One line naming the problem.
    pub error: String,
    /// The 1-based input line number.
    pub line: u64,
}

/// Parses one input line into an instance and a mode.
pub fn parse_line(text: &str) -> Result<(Instance, Mode), String> {
    if text.trim().is_empty() {
        return Err("empty line".into());
    }
    let r: Request = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let inst = Instance::new(r.samples, r.k, r.target, r.eps).map_err(|e| e.to_string())?;
    Ok((inst, r.mode))
}

/// How many lines are read, solved in parallel, and written at a time.
pub const CHUNK_LINES: usize = 16_384;

/// Reads JSON Lines instances from `input` and writes one reply line per
/// input line to `output`, in order, solving each chunk of lines in
/// parallel. Returns the number of lines processed. Only I/O errors fail;
/// a line that is not UTF-8 gets an error reply like any other bad line.
pub fn run<R: BufRead, W: Write>(input: R, mut output: W, budget: Budget) -> std::io::Result<u64> {
    use rayon::prelude::*;
    let mut lines = input.split(b'\n');
    let mut line_no = 0u64;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_LINES);
        for line in lines.by_ref().take(CHUNK_LINES) {
            chunk.push(line?);
        }
        if chunk.is_empty() {
            return Ok(line_no);
        }
        let parsed: Vec<Result<(Instance, Mode), String>> = chunk
            .par_iter()
            .map(|bytes| {
                let text = std::str::from_utf8(bytes).map_err(|_| "line is not valid UTF-8".to_string())?;
                parse_line(text.strip_suffix('\r').unwrap_or(text))
            })
            .collect();
        let mut valid = Vec::with_capacity(parsed.len());
        let mut errors = Vec::with_capacity(parsed.len());
        for p in parsed {
            match p {
                Ok(item) => {
                    valid.push(item);
                    errors.push(None);
                }
                Err(e) => errors.push(Some(e)),
            }
        }
        let mut answers = solve_batch(&valid, budget).into_iter();
        for error in errors {
            line_no += 1;
            let answer = match error {
                None => answers.next().expect("one answer per valid line").map_err(|e| e.to_string()),
                Some(e) => Err(e),
            };
            let text = match &answer {
                Ok(a) => serde_json::to_string(&Reply::from(a)),
                Err(e) => serde_json::to_string(&ErrorReply { error: e.clone(), line: line_no }),
            }
            .expect("replies serialise");
            writeln!(output, "{text}")?;
        }
    }
}
