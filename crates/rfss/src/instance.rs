//! RFSS instances and their validation (docs/THEORY.md §2, "Problem").

use std::fmt;

/// What the solver is asked for (docs/THEORY.md §2, "Problem").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "jsonl", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "jsonl", serde(rename_all = "lowercase"))]
pub enum Mode {
    /// A k-subset minimising |Σ_S − z|, proved optimal.
    Best,
    /// Any k-subset with |Σ_S − z| < ε, or a proof that none exists.
    #[default]
    Within,
}

impl Mode {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Best => "best",
            Mode::Within => "within",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "best" => Ok(Mode::Best),
            "within" => Ok(Mode::Within),
            _ => Err(format!("unknown mode '{s}' (expected best or within)")),
        }
    }
}

/// One RFSS instance: samples x_1..x_n, subset size k, target z, tolerance ε.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The samples; repeats, zeros and negatives are allowed.
    pub samples: Vec<f64>,
    /// The subset size, 1 ≤ k ≤ n.
    pub k: usize,
    /// The target z.
    pub target: f64,
    /// The tolerance ε > 0: a subset is good when |Σ_S − z| < ε.
    pub eps: f64,
}

/// Why an instance cannot be solved; its `Display` is one line naming the
/// problem.
#[derive(Clone, Debug, PartialEq)]
pub enum InstanceError {
    /// No samples at all.
    NoSamples,
    /// Sample `index` (0-based) is NaN or infinite.
    NonFiniteSample {
        /// Position of the offending sample.
        index: usize,
    },
    /// Σ|x_i| overflows f64, so no sum could be computed.
    SamplesOverflow,
    /// k = 0 or k > n.
    BadK {
        /// The requested size.
        k: usize,
        /// The number of samples.
        n: usize,
    },
    /// The target is NaN or infinite.
    NonFiniteTarget,
    /// ε is not a finite number > 0.
    BadEps(f64),
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceError::NoSamples => write!(f, "no samples given"),
            InstanceError::NonFiniteSample { index } => {
                write!(f, "sample {index} (0-based) is not a finite number")
            }
            InstanceError::SamplesOverflow => {
                write!(f, "samples too large: the sum of their absolute values overflows")
            }
            InstanceError::BadK { k, n } => {
                write!(f, "k must satisfy 1 <= k <= n, got k = {k} with n = {n}")
            }
            InstanceError::NonFiniteTarget => write!(f, "target is not a finite number"),
            InstanceError::BadEps(e) => write!(f, "eps must be a finite number > 0, got {e}"),
        }
    }
}

impl std::error::Error for InstanceError {}

impl Instance {
    /// Builds an instance after checking it (see [`Instance::validate`]).
    pub fn new(samples: Vec<f64>, k: usize, target: f64, eps: f64) -> Result<Self, InstanceError> {
        let inst = Instance { samples, k, target, eps };
        inst.validate()?;
        Ok(inst)
    }

    /// Number of samples n.
    pub fn n(&self) -> usize {
        self.samples.len()
    }

    /// Checks everything the solver relies on: at least one sample, all
    /// finite with a finite Σ|x_i|, 1 ≤ k ≤ n, a finite target and a finite
    /// ε > 0.
    pub fn validate(&self) -> Result<(), InstanceError> {
        if self.samples.is_empty() {
            return Err(InstanceError::NoSamples);
        }
        if let Some(index) = self.samples.iter().position(|x| !x.is_finite()) {
            return Err(InstanceError::NonFiniteSample { index });
        }
        if !self.samples.iter().map(|x| x.abs()).sum::<f64>().is_finite() {
            return Err(InstanceError::SamplesOverflow);
        }
        if self.k == 0 || self.k > self.samples.len() {
            return Err(InstanceError::BadK { k: self.k, n: self.samples.len() });
        }
        if !self.target.is_finite() {
            return Err(InstanceError::NonFiniteTarget);
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(InstanceError::BadEps(self.eps));
        }
        Ok(())
    }
}
