//! Text for people and for programs: durations with units, aligned
//! tables, Markdown tables, CSV from typed rows.

use std::time::Duration;

/// A duration with a unit that keeps 3 significant figures.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.0} ns", s * 1e9)
    }
}

/// The median of `values` (upper median for even lengths); `None` if empty.
pub fn median<T: Copy + PartialOrd>(values: &[T]) -> Option<T> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    v.get(v.len() / 2).copied()
}

/// Renders rows under a header: the first column left-aligned, the others
/// right-aligned, each as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let cells = cells.iter().zip(&width).enumerate();
        cells
            .map(|(i, (c, w))| if i == 0 { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// `rows` as CSV text: a header of their field names, then one record per
/// row from its `Serialize` (the csv crate quotes and escapes; `None` is
/// an empty field).
pub fn csv<T: serde::Serialize>(rows: &[T]) -> Result<String, String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| format!("cannot write a CSV row: {e}"))?;
    }
    let bytes = w.into_inner().map_err(|e| format!("cannot write CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("CSV is not UTF-8: {e}"))
}

/// Writes `text` to `out/name` atomically.
pub fn write(out: &std::path::Path, name: &str, text: &str) -> Result<(), String> {
    let p = out.join(name);
    sslth::files::write_atomic(&p, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// A Markdown table: `head`, its rule, then `rows`, one line each.
pub fn markdown_table(head: &[&str], rows: &[Vec<String>]) -> String {
    format!(
        "|{}|\n|{}|\n{}",
        head.join("|"),
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|"),
        rows.iter().map(|r| format!("|{}|\n", r.join("|"))).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(duration(Duration::from_nanos(250)), "250 ns");
        assert_eq!(duration(Duration::from_nanos(2_500)), "2.50 µs");
        assert_eq!(duration(Duration::from_micros(1_500)), "1.500 ms");
        assert_eq!(duration(Duration::from_millis(2_500)), "2.50 s");
    }

    #[test]
    fn medians_and_tables() {
        assert_eq!(median(&[3, 1, 2]), Some(2));
        assert_eq!(median::<u32>(&[]), None);
        assert_eq!(table(&["a", "bb"], &[vec!["100".into(), "1".into()]]), "a    bb\n100   1\n");
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_reads_back() {
        #[derive(serde::Serialize)]
        struct Row {
            method: &'static str,
            seconds: Option<f64>,
            note: &'static str,
        }
        let rows = [Row { method: "popup", seconds: None, note: "64-16-10; lr 0.1, \"tuned\"" }];
        let text = csv(&rows).unwrap();
        assert_eq!(text, "method,seconds,note\npopup,,\"64-16-10; lr 0.1, \"\"tuned\"\"\"\n");
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[2], "64-16-10; lr 0.1, \"tuned\"");
    }
}
