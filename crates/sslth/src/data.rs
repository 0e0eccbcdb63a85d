//! Datasets: the embedded UCI digits and Fashion-MNIST from its Debian
//! package, read by the project's own IDX loader (issue 4, Data).
//!
//! Inputs are scaled so that every possible image has ‖x‖₂ ≤ 1, the input
//! domain of docs/THEORY.md §3: a pixel p of a d-pixel image with values up to
//! p_max becomes p / (p_max·√d). The factor is [`Dataset::scale`].

use flate2::read::GzDecoder;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The digits CSV, gzipped, embedded in the binary (data/README.md).
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// Where the Debian package `dataset-fashion-mnist` installs its files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// A labelled set of flattened images, already scaled to ‖x‖ ≤ 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Row-major `len × dim` inputs.
    pub inputs: Vec<f32>,
    /// One class label per row.
    pub labels: Vec<u8>,
    /// Input dimension d.
    pub dim: usize,
    /// The factor that mapped raw pixels to inputs: x = scale · p.
    pub scale: f64,
    /// The data set's name as [`load`] takes it (`digits`, `fashion-mnist`).
    pub name: &'static str,
}

impl Dataset {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Checks that a model taking `d_in` inputs fits these rows.
    pub fn expect_dim(&self, d_in: usize, model: &str) -> Result<(), String> {
        if d_in == self.dim {
            Ok(())
        } else {
            Err(format!("{model} takes {d_in} inputs but the data have {}", self.dim))
        }
    }

    /// Row `i` of the inputs.
    pub fn input(&self, i: usize) -> &[f32] {
        &self.inputs[i * self.dim..(i + 1) * self.dim]
    }

    fn from_pixels(name: &'static str, pixels: Vec<u8>, labels: Vec<u8>, dim: usize, max_pixel: f64) -> Dataset {
        let scale = 1.0 / (max_pixel * (dim as f64).sqrt());
        let inputs = pixels.iter().map(|&p| (f64::from(p) * scale) as f32).collect();
        Dataset { inputs, labels, dim, scale, name }
    }
}

/// A train/test pair.
#[derive(Clone, Debug)]
pub struct Split {
    /// Training rows.
    pub train: Dataset,
    /// Test rows.
    pub test: Dataset,
}

/// Why a dataset could not be loaded; `Display` is one line.
#[derive(Debug)]
pub enum DataError {
    /// A name that is neither `digits` nor `fashion-mnist`.
    UnknownDataset(String),
    /// A file that could not be read.
    Io(PathBuf, std::io::Error),
    /// A file whose contents are not what its format says.
    Malformed(String),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::UnknownDataset(s) => write!(f, "unknown dataset '{s}' (expected digits or fashion-mnist)"),
            DataError::Io(p, e) if e.kind() == std::io::ErrorKind::NotFound && p.starts_with(FASHION_MNIST_DIR) => {
                write!(
                    f,
                    "{} not found: install Fashion-MNIST with 'apt-get install dataset-fashion-mnist'",
                    p.display()
                )
            }
            DataError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            DataError::Malformed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DataError {}

/// Loads a dataset by name: `digits` (embedded) or `fashion-mnist`.
pub fn load(name: &str) -> Result<Split, DataError> {
    match name {
        "digits" => Ok(digits()),
        "fashion-mnist" => fashion_mnist(Path::new(FASHION_MNIST_DIR)),
        other => Err(DataError::UnknownDataset(other.to_string())),
    }
}

/// The embedded UCI digits (1,797 rows of 8×8 pixels 0..16), split by row
/// number: row i is a test row iff i % 5 == 4 (359 test rows, 1,438
/// training rows). Pixels are scaled by 1/(16·8), so ‖x‖ ≤ 1.
pub fn digits() -> Split {
    let mut text = String::new();
    GzDecoder::new(DIGITS_CSV_GZ).read_to_string(&mut text).expect("embedded digits decompress");
    let (mut pixels, mut labels) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for (i, line) in text.lines().enumerate() {
        let values: Vec<u8> =
            line.split(',').map(|v| v.trim().parse().expect("embedded digits are integers")).collect();
        assert_eq!(values.len(), 65, "embedded digits row {i}");
        let part = usize::from(i % 5 == 4);
        pixels[part].extend_from_slice(&values[..64]);
        labels[part].push(values[64]);
    }
    let [train_px, test_px] = pixels;
    let [train_lb, test_lb] = labels;
    Split {
        train: Dataset::from_pixels("digits", train_px, train_lb, 64, 16.0),
        test: Dataset::from_pixels("digits", test_px, test_lb, 64, 16.0),
    }
}

/// Fashion-MNIST from `dir` (the Debian package's gzipped IDX files): the
/// standard 60,000/10,000 split, 28×28 pixels scaled by 1/(255·28).
pub fn fashion_mnist(dir: &Path) -> Result<Split, DataError> {
    let part = |images: &str, labels: &str| -> Result<Dataset, DataError> {
        let (px, shape) = read_idx(&dir.join(images))?;
        let (lb, lshape) = read_idx(&dir.join(labels))?;
        if shape.len() != 3 || lshape.len() != 1 || shape[0] != lshape[0] {
            return Err(DataError::Malformed(format!(
                "{images} and {labels}: shapes {shape:?} and {lshape:?} are not N×H×W images with N labels"
            )));
        }
        Ok(Dataset::from_pixels("fashion-mnist", px, lb, shape[1] * shape[2], 255.0))
    };
    Ok(Split {
        train: part("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")?,
        test: part("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")?,
    })
}

/// Reads an IDX file of unsigned bytes (gzipped if its name ends in `.gz`):
/// the data and the dimensions. Format: two zero bytes, type 0x08, the
/// number of dimensions, each dimension as a big-endian u32, then the data.
pub fn read_idx(path: &Path) -> Result<(Vec<u8>, Vec<usize>), DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::Io(path.to_path_buf(), e))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::Malformed(format!("{}: not gzip data ({e})", path.display())))?;
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|m| DataError::Malformed(format!("{}: {m}", path.display())))
}

/// Parses IDX bytes (see [`read_idx`]).
pub fn parse_idx(bytes: &[u8]) -> Result<(Vec<u8>, Vec<usize>), String> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err("not an IDX file (bad magic number)".into());
    }
    if bytes[2] != 0x08 {
        return Err(format!("IDX element type 0x{:02x} is not supported (only unsigned bytes, 0x08)", bytes[2]));
    }
    let ndim = usize::from(bytes[3]);
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err("IDX header is truncated".into());
    }
    let dims: Vec<usize> =
        (0..ndim).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("IDX dimensions overflow")?;
    if bytes.len() - header != count {
        return Err(format!("IDX data has {} bytes, dimensions {dims:?} need {count}", bytes.len() - header));
    }
    Ok((bytes[header..].to_vec(), dims))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn digits_split_and_scale() {
        let s = digits();
        assert_eq!((s.train.len(), s.test.len()), (1438, 359));
        assert_eq!(s.train.dim, 64);
        // The first row of the CSV is a 0 with pixel 2 equal to 5.
        assert_eq!(s.train.labels[0], 0);
        assert_eq!(s.train.input(0)[2], (5.0 / 128.0) as f32);
        for d in [&s.train, &s.test] {
            for i in 0..d.len() {
                let norm: f64 = d.input(i).iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
                assert!(norm <= 1.0);
            }
            let mut counts = [0; 10];
            d.labels.iter().for_each(|&l| counts[l as usize] += 1);
            assert!(counts.iter().all(|&c| c > 20), "{counts:?}");
        }
    }

    #[test]
    fn idx_round_trip_plain_and_gzipped() {
        let dir = std::env::temp_dir().join(format!("sslth-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let images = idx(&[2, 2, 3], &[0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
        let labels = idx(&[2], &[7, 9]);
        let gz = |name: &str, data: &[u8]| {
            use flate2::{write::GzEncoder, Compression};
            use std::io::Write;
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(data).unwrap();
            std::fs::write(dir.join(name), e.finish().unwrap()).unwrap();
        };
        std::fs::write(dir.join("plain.idx"), &images).unwrap();
        assert_eq!(read_idx(&dir.join("plain.idx")).unwrap(), (images[16..].to_vec(), vec![2, 2, 3]));
        for (a, b) in [("train-images-idx3-ubyte.gz", &images), ("t10k-images-idx3-ubyte.gz", &images)] {
            gz(a, b);
        }
        gz("train-labels-idx1-ubyte.gz", &labels);
        gz("t10k-labels-idx1-ubyte.gz", &labels);
        let s = fashion_mnist(&dir).unwrap();
        assert_eq!((s.train.len(), s.train.dim), (2, 6));
        assert_eq!(s.test.labels, vec![7, 9]);
        assert_eq!(s.train.input(1)[5], (255.0 / (255.0 * 6f64.sqrt())) as f32);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_idx_and_names_are_one_line_errors() {
        assert!(parse_idx(&[1, 2, 3]).unwrap_err().contains("magic"));
        assert!(parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap_err().contains("0x0d"));
        assert!(parse_idx(&idx(&[3], &[1, 2])).unwrap_err().contains("need 3"));
        assert!(parse_idx(&[0, 0, 8, 2, 0, 0]).unwrap_err().contains("truncated"));
        let e = load("cifar").unwrap_err().to_string();
        assert!(e.contains("unknown dataset 'cifar'") && !e.contains('\n'));
        let missing = fashion_mnist(Path::new("/nonexistent")).unwrap_err().to_string();
        assert!(missing.contains("cannot read /nonexistent/train-images"), "{missing}");
    }
}
