//! Datasets: the embedded UCI digits and Fashion-MNIST from its Debian
//! package, read by the project's own IDX loader.
//!
//! Inputs are scaled so that every possible image has ‖x‖₂ ≤ 1, the input
//! domain of docs/THEORY.md §3: a pixel p of a d-pixel image with values up to
//! p_max becomes p / (p_max·√d). The factor is [`Dataset::scale`].

use flate2::read::GzDecoder;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;

mod idx;
pub use idx::{fashion_mnist, parse_idx, read_idx};
use idx::{idx_file, idx_part};

/// The digits CSV, gzipped, embedded in the binary (data/README.md).
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../../data/digits.csv.gz");

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
    /// Every valid input value lies in [0, input_max] (the largest raw
    /// value × `scale`, rounded up to the f32 the rows hold when rounding
    /// goes up): the box the tight certificate holds on.
    pub input_max: f64,
    /// The data set's name as [`load`] takes it (`digits`,
    /// `fashion-mnist`, `digit-sets`).
    pub name: &'static str,
    /// How each row's values are laid out.
    pub shape: InputShape,
}

/// How a row's `dim` values are laid out, channel-major: images are
/// channels × height × width (PyTorch's `[C, H, W]`), sets are features ×
/// points (the transpose of PyTorch's `[N, F]`: feature f of point i is
/// value f·N + i). An MLP reads either as one flat vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InputShape {
    /// Images.
    Image {
        /// Channels C.
        channels: usize,
        /// Height H.
        height: usize,
        /// Width W.
        width: usize,
    },
    /// Sets of a fixed number of points.
    Set {
        /// Features (channels) per point.
        features: usize,
        /// Points N per set.
        points: usize,
    },
}

impl InputShape {
    /// The layout an example's own dimensions give: `[C, H, W]` images
    /// (PyTorch's layout), `[N, F]` sets (N points of F features); `None`
    /// for any other number of dimensions.
    pub fn from_dims(dims: &[usize]) -> Option<InputShape> {
        match *dims {
            [channels, height, width] => Some(InputShape::Image { channels, height, width }),
            [points, features] => Some(InputShape::Set { features, points }),
            _ => None,
        }
    }

    /// Values per row.
    pub fn dim(&self) -> usize {
        match *self {
            InputShape::Image { channels, height, width } => channels * height * width,
            InputShape::Set { features, points } => features * points,
        }
    }

    /// Channels (image channels or set features).
    pub fn channels(&self) -> usize {
        match *self {
            InputShape::Image { channels, .. } => channels,
            InputShape::Set { features, .. } => features,
        }
    }
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

    /// The first `n` rows (all of them if there are fewer), with the same
    /// scale and box.
    pub fn first(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            inputs: self.inputs[..n * self.dim].to_vec(),
            labels: self.labels[..n].to_vec(),
            dim: self.dim,
            scale: self.scale,
            input_max: self.input_max,
            name: self.name,
            shape: self.shape,
        }
    }

    fn from_pixels(name: &'static str, pixels: Vec<u8>, labels: Vec<u8>, side: [usize; 2], max_pixel: f64) -> Dataset {
        let dim = side[0] * side[1];
        let scale = 1.0 / (max_pixel * (dim as f64).sqrt());
        let inputs = pixels.iter().map(|&p| (f64::from(p) * scale) as f32).collect();
        let shape = InputShape::Image { channels: 1, height: side[0], width: side[1] };
        Dataset { inputs, labels, dim, scale, input_max: f32_edge(max_pixel * scale), name, shape }
    }
}

/// The edge of the box that holds every f32 input made from values at
/// most `max` (in exact arithmetic): `max` as an f32, when that rounds up.
/// Rounding to nearest is monotone, so v ≤ max gives (v as f32) ≤
/// (max as f32): the certificate's box then holds what the tool runs
/// (float32(1/√96), the digit sets' largest value, is 3.7·10⁻⁹ above 1/√96).
fn f32_edge(max: f64) -> f64 {
    f64::from(max as f32).max(max)
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
    /// A name that is none of sslth's data sets.
    UnknownDataset(String),
    /// A file that could not be read.
    Io(PathBuf, std::io::Error),
    /// A file whose contents are not what its format says.
    Malformed(String),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::UnknownDataset(s) => {
                write!(f, "unknown dataset '{s}' (expected digits, digit-sets, mnist or fashion-mnist, the last two as NAME or NAME:DIR)")
            }
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

impl From<DataError> for crate::Error {
    fn from(e: DataError) -> crate::Error {
        match e {
            DataError::Io(path, source) => crate::Error::Io { path, writing: false, source },
            DataError::UnknownDataset(_) => crate::Error::Argument(e.to_string()),
            DataError::Malformed(m) => crate::Error::Invalid(m),
        }
    }
}

/// The directory `mnist` and `fashion-mnist` are read from when their
/// name gives none (the CLI's `--data-dir`); set once, before loading.
static DATA_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Sets the directory of `DATA_DIR`; a second call is ignored.
pub fn set_data_dir(dir: PathBuf) {
    let _ = DATA_DIR.set(dir);
}

/// One of sslth's data sets, as `NAME[:DIR]` names it: `digits` and
/// `digit-sets` (embedded), `mnist` and `fashion-mnist` (IDX files, in the
/// folder DIR if given). Parsed once ([`FromStr`](std::str::FromStr)) where
/// a face reads its name; `Display` writes the name back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSet {
    /// The embedded UCI digits, 8×8 images ([`digits`]).
    Digits,
    /// The embedded digits as sets of points ([`digit_sets`]).
    DigitSets,
    /// MNIST's IDX files, in the folder given, else the `--data-dir`.
    Mnist(Option<PathBuf>),
    /// Fashion-MNIST's IDX files, in the folder given, else the
    /// `--data-dir`, else where its Debian package installs them.
    FashionMnist(Option<PathBuf>),
}

impl DataSet {
    /// The names a data set is given by (an IDX set's optionally with
    /// `:DIR`).
    pub const NAMES: [&'static str; 4] = ["digits", "digit-sets", "mnist", "fashion-mnist"];

    /// Its name, without a folder.
    pub fn name(&self) -> &'static str {
        match self {
            DataSet::Digits => "digits",
            DataSet::DigitSets => "digit-sets",
            DataSet::Mnist(_) => "mnist",
            DataSet::FashionMnist(_) => "fashion-mnist",
        }
    }

    /// The training and test rows.
    pub fn load(&self) -> Result<Split, DataError> {
        match self {
            DataSet::Digits => Ok(digits()),
            DataSet::DigitSets => Ok(digit_sets()),
            _ => {
                let dir = self.idx_dir()?;
                Ok(Split { train: idx_part(self.name(), &dir, "train")?, test: idx_part(self.name(), &dir, "t10k")? })
            }
        }
    }

    /// The test rows alone, for work that measures and does not train
    /// (MNIST's and Fashion-MNIST's 60,000 training images are not read).
    pub fn load_test(&self) -> Result<Dataset, DataError> {
        match self {
            DataSet::Digits | DataSet::DigitSets => Ok(self.load()?.test),
            _ => idx_part(self.name(), &self.idx_dir()?, "t10k"),
        }
    }

    /// An IDX set's folder: the one given, else the `--data-dir`, else the
    /// set's default (Fashion-MNIST's Debian package), in that folder
    /// itself or in the `MNIST/raw/` (`FashionMNIST/raw/`) torchvision
    /// leaves under it, whichever holds the test images.
    fn idx_dir(&self) -> Result<PathBuf, DataError> {
        let (given, torchvision, default) = match self {
            DataSet::Mnist(dir) => (dir, "MNIST", None),
            DataSet::FashionMnist(dir) => (dir, "FashionMNIST", Some(FASHION_MNIST_DIR)),
            DataSet::Digits | DataSet::DigitSets => unreachable!("the embedded sets have no folder"),
        };
        let set = self.name();
        let Some(base) = given.clone().or_else(|| DATA_DIR.get().cloned()).or(default.map(PathBuf::from)) else {
            return Err(DataError::Malformed(format!(
                "{set} needs the folder of its IDX files: name the data set {set}:DIR, DIR holding \
                 t10k-images-idx3-ubyte(.gz) and the rest, or {torchvision}/raw/ as torchvision leaves it"
            )));
        };
        let nested = base.join(torchvision).join("raw");
        if idx_file(&base, "t10k-images", 3).is_none() && idx_file(&nested, "t10k-images", 3).is_some() {
            Ok(nested)
        } else {
            Ok(base)
        }
    }
}

impl std::str::FromStr for DataSet {
    type Err = DataError;
    fn from_str(name: &str) -> Result<DataSet, DataError> {
        let (set, dir) = match name.split_once(':') {
            Some((set, dir)) => (set, Some(PathBuf::from(dir))),
            None => (name, None),
        };
        match (set, dir) {
            ("digits", None) => Ok(DataSet::Digits),
            ("digit-sets", None) => Ok(DataSet::DigitSets),
            ("mnist", dir) => Ok(DataSet::Mnist(dir)),
            ("fashion-mnist", dir) => Ok(DataSet::FashionMnist(dir)),
            _ => Err(DataError::UnknownDataset(name.to_string())),
        }
    }
}

impl fmt::Display for DataSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSet::Mnist(Some(dir)) | DataSet::FashionMnist(Some(dir)) => {
                write!(f, "{}:{}", self.name(), dir.display())
            }
            _ => f.write_str(self.name()),
        }
    }
}

/// Loads the data set named `name` (`NAME[:DIR]`, see [`DataSet`]).
pub fn load(name: &str) -> Result<Split, DataError> {
    name.parse::<DataSet>()?.load()
}

/// The test split of the data set named `name` (see
/// [`DataSet::load_test`]).
pub fn load_test(name: &str) -> Result<Dataset, DataError> {
    name.parse::<DataSet>()?.load_test()
}

/// The test rows a build is measured on, with the data set's name: the
/// set `given`, else the one the target records (`recorded`); `none`
/// (given or recorded) or neither: not measured. Both faces resolve their
/// `data` option here.
///
/// ```
/// use sslth::data::measured_on;
///
/// let (name, test) = measured_on(None, Some("digits")).unwrap().unwrap();
/// assert_eq!((name.as_str(), test.len() > 0), ("digits", true));
/// assert!(measured_on(Some("none"), Some("digits")).unwrap().is_none());
/// ```
pub fn measured_on(given: Option<&str>, recorded: Option<&str>) -> Result<Option<(String, Dataset)>, DataError> {
    match given.or(recorded).filter(|d| *d != "none") {
        Some(name) => Ok(Some((name.to_string(), load_test(name)?))),
        None => Ok(None),
    }
}

/// As [`measured_on`], for work that needs test rows (the frontier): no
/// data set, given or recorded, is an error that says to give `data`.
pub fn needed_on(given: Option<&str>, recorded: Option<&str>) -> crate::Result<(String, Dataset)> {
    measured_on(given, recorded)?
        .ok_or_else(|| crate::Error::Argument("the target records no data set; give `data`".into()))
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
        train: Dataset::from_pixels("digits", train_px, train_lb, [8, 8], 16.0),
        test: Dataset::from_pixels("digits", test_px, test_lb, [8, 8], 16.0),
    }
}

/// Points per set of [`digit_sets`].
pub const SET_POINTS: usize = 32;

/// The digits seen as point sets (the same split as [`digits`]): each
/// image becomes the set of its lit pixels as (row/7, column/7,
/// intensity/16) points, exactly [`SET_POINTS`] of them — the brightest
/// ones (ties by position) when more pixels are lit, the lit ones repeated
/// in turn when fewer — in an order shuffled per image (ChaCha8 seeded by
/// the image's row in the CSV). Values are scaled by 1/√(3·N), so
/// ‖x‖ ≤ 1 as for images.
pub fn digit_sets() -> Split {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let d = digits();
    let n = SET_POINTS;
    let scale = 1.0 / ((3 * n) as f64).sqrt();
    let convert = |ds: &Dataset, test: bool| -> Dataset {
        let mut inputs = Vec::with_capacity(ds.len() * 3 * n);
        for i in 0..ds.len() {
            // The row's place in the CSV: the split takes i % 5 == 4 as test.
            let csv_row = if test { 5 * i + 4 } else { i + i / 4 };
            let px: Vec<f64> = ds.input(i).iter().map(|&v| (f64::from(v) / ds.scale).round()).collect();
            let mut lit: Vec<usize> = (0..64).filter(|&p| px[p] > 0.0).collect();
            lit.sort_by(|&a, &b| px[b].total_cmp(&px[a]).then(a.cmp(&b)));
            if lit.is_empty() {
                lit.push(0);
            }
            let mut chosen: Vec<usize> = (0..n).map(|t| lit[t % lit.len().min(n)]).collect();
            chosen.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(csv_row as u64));
            let feature = |f: usize, p: usize| match f {
                0 => (p / 8) as f64 / 7.0,
                1 => (p % 8) as f64 / 7.0,
                _ => px[p] / 16.0,
            };
            for f in 0..3 {
                inputs.extend(chosen.iter().map(|&p| (feature(f, p) * scale) as f32));
            }
        }
        Dataset {
            inputs,
            labels: ds.labels.clone(),
            dim: 3 * n,
            scale,
            // Every feature is at most 1 before scaling.
            input_max: f32_edge(scale),
            name: "digit-sets",
            shape: InputShape::Set { features: 3, points: n },
        }
    };
    Split { train: convert(&d.train, false), test: convert(&d.test, true) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
    fn digit_sets_are_the_lit_pixels_shuffled() {
        let (d, s) = (digits(), digit_sets());
        assert_eq!((s.train.len(), s.test.len(), s.train.dim), (1438, 359, 96));
        assert_eq!(s.test.labels, d.test.labels);
        for (ds, sets) in [(&d.train, &s.train), (&d.test, &s.test)] {
            for i in (0..ds.len()).step_by(37) {
                let x = sets.input(i);
                let norm: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
                assert!(norm <= 1.0 + 1e-6);
                // Every point is a lit pixel of the image, at its intensity.
                for p in 0..SET_POINTS {
                    let at = |f: usize| f64::from(x[f * SET_POINTS + p]) / sets.scale;
                    let (r, c) = ((at(0) * 7.0).round() as usize, (at(1) * 7.0).round() as usize);
                    let v = f64::from(ds.input(i)[r * 8 + c]) / ds.scale;
                    assert!(v > 0.0 && (at(2) * 16.0 - v).abs() < 1e-3, "row {i} point {p}");
                }
            }
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

    /// MNIST from a folder the user gives, in either file naming, plain
    /// or gzipped, directly or in torchvision's `MNIST/raw/`; refused in one
    /// line with no folder; the real files in ../shared/data/mnist.
    #[test]
    fn mnist_reads_from_the_folder_given_in_every_layout() {
        let root = std::env::temp_dir().join(format!("sslth-mnist-{}", std::process::id()));
        let raw = root.join("MNIST").join("raw");
        std::fs::create_dir_all(&raw).unwrap();
        let images = idx(&[2, 2, 3], &[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 255]);
        let labels = idx(&[2], &[3, 8]);
        for (name, bytes) in [
            ("t10k-images.idx3-ubyte", &images),
            ("t10k-labels.idx1-ubyte", &labels),
            ("train-images-idx3-ubyte", &images),
            ("train-labels-idx1-ubyte", &labels),
        ] {
            std::fs::write(raw.join(name), bytes).unwrap();
        }
        for name in [format!("mnist:{}", raw.display()), format!("mnist:{}", root.display())] {
            let s = load(&name).unwrap();
            assert_eq!((s.test.name, s.test.labels.clone(), s.train.len(), s.test.dim), ("mnist", vec![3, 8], 2, 6));
            assert_eq!(load_test(&name).unwrap().inputs, s.test.inputs);
        }
        std::fs::remove_dir_all(&root).unwrap();
        let e = load_test("mnist:/nonexistent").unwrap_err().to_string();
        assert!(e.contains("/nonexistent/t10k-images-idx3-ubyte.gz") && !e.contains('\n'), "{e}");
        if DATA_DIR.get().is_none() {
            let e = load_test("mnist").unwrap_err().to_string();
            assert!(e.contains("mnist:DIR") && e.contains("MNIST/raw/"), "{e}");
        }
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
        if shared.is_dir() {
            let t = load_test(&format!("mnist:{}", shared.display())).unwrap();
            assert_eq!((t.len(), t.dim, t.labels[..3].to_vec()), (10_000, 784, vec![7, 2, 1]));
        }
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

    #[test]
    fn every_input_the_tool_runs_is_inside_the_box() {
        for split in [digits(), digit_sets()] {
            for d in [&split.train, &split.test] {
                let top = d.inputs.iter().fold(0.0f32, |m, &v| m.max(v));
                assert!(d.inputs.iter().all(|&v| v >= 0.0 && f64::from(v) <= d.input_max), "{}", d.name);
                // The edge is the largest input itself, not a guess above it.
                assert_eq!(f64::from(top), d.input_max, "{}", d.name);
            }
        }
    }

    #[test]
    fn data_set_names_parse_once_and_write_back() {
        for name in ["digits", "digit-sets", "mnist", "fashion-mnist", "mnist:/a/b", "fashion-mnist:rel/dir"] {
            let set: DataSet = name.parse().unwrap();
            assert_eq!(set.to_string(), name);
            assert!(DataSet::NAMES.contains(&set.name()));
        }
        assert_eq!("mnist:/d".parse::<DataSet>().unwrap(), DataSet::Mnist(Some(PathBuf::from("/d"))));
        for bad in ["digits:/d", "digit-sets:x", "Digits", "", "cifar:/d"] {
            let e = bad.parse::<DataSet>().unwrap_err().to_string();
            assert!(e.contains(&format!("unknown dataset '{bad}'")), "{e}");
        }
        let e = needed_on(None, None).unwrap_err().render(crate::Face::Cli);
        assert_eq!(e, "the target records no data set; give --data");
        assert_eq!(needed_on(None, Some("digits")).unwrap().0, "digits");
    }
}
