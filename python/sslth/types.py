"""The shapes of what sslth returns: plain dicts and lists, typed here.

Each report is the Rust library's own result (a ``Serialize`` struct)
turned into Python objects directly (no JSON text in between): a struct is
a dict with these keys, a sequence a list, a pair a tuple, an absent value
``None``, and floats stay floats (``nan`` included). The fields mean what
``sslth <command> --json`` prints; the test suite checks every key and
type here against what the functions return. Rows go into a
``pandas.DataFrame`` as they are (``pandas.DataFrame(sslth.frontier(t)["rows"])``).
"""

from typing import Any, Dict, List, Literal, Optional, Tuple, TypedDict

__all__ = [
    "AttackResult", "Bounds", "BuildOptions", "BuildReport", "Certificate", "Comparison", "CompareRow", "Frontier",
    "FrontierRow", "LayerCertificate", "LocalCertificates", "PairMeta", "PopupReport", "ShardAttempt", "ShardReport",
    "Theorem3Layer", "TheoryCurves", "TicketMeta", "TightCertificate", "VerifyReport"
]


class BuildOptions(TypedDict, total=False):
    """The keyword options of ``build``, ``build_file`` and ``build_shard``
    (``sslth build``'s flags): the library's ``BuildOptions``."""
    seed: int
    k: Optional[int]
    n: Optional[int]
    density: Optional[float]
    weight_eps: Optional[float]
    eps: Optional[float]
    nonneg_input: bool
    scale: Optional[float]
    scale_quantile: Optional[float]
    accept_over_eps: bool
    accept_misses: bool
    walk_budget: Optional[int]
    subsets: Literal["fewest", "fixed"]


class _PairMetaOptional(TypedDict, total=False):
    subsets: Literal["fewest", "fixed"]


class PairMeta(_PairMetaOptional):
    """One pair's sizes: n samples per instance, k kept (at most 2k, see
    ``subsets``), the scale of its random layer, inputs and rows (target
    output units); ``subsets`` (absent for ``"fixed"``) says which subset
    an instance keeps."""
    n: int
    k: int
    scale: float
    d_in: int
    rows: int


class _LayerCertificateOptional(TypedDict, total=False):
    pooling_lipschitz: float


class LayerCertificate(_LayerCertificateOptional):
    """One layer's terms of the ball certificate (docs/THEORY.md §4)."""
    err_pos: float
    err_neg: float
    err_joint: float
    target_norm: float
    coefficient_error: float
    basis_norm: float
    pool: Optional[int]


class Certificate(TypedDict):
    """The certified bound on ‖f(x) − g(x)‖ over ``domain``."""
    layers: List[LayerCertificate]
    input_radius: float
    bound: float
    domain: str


class TightCertificate(TypedDict):
    """The tight bound over the data's box, and the share of test rows whose
    prediction provably carries over (``None`` without test rows)."""
    bound: float
    interval_bound: float
    margin_shifts: List[List[float]]
    layer_bounds: List[float]
    domain: str
    box_edge: float
    certified_agreement: Optional[float]


class Comparison(TypedDict):
    """Target and ticket on the test rows."""
    rows: int
    target_accuracy: float
    ticket_accuracy: float
    agreement: float
    max_error: float
    mean_error: float


class _BuildReportOptional(TypedDict, total=False):
    tight_certificate: TightCertificate
    file_bytes: int
    train_seconds: float
    files: Dict[str, int]


class BuildReport(_BuildReportOptional):
    """What a build reports (``Model.report``, ``build_file``;
    ``sslth build --json``). ``tight_certificate`` only when measured on data."""
    data: Optional[str]
    target_kind: str
    target_widths: List[int]
    target_weights: int
    bases: List[Dict[str, Any]]
    pairs: List[PairMeta]
    density: float
    kept_edges: int
    random_edges: int
    block_edges: int
    overparameterisation: float
    rfss_instances: int
    rfss_misses: int
    certificate: Certificate
    accepted_over_eps: Optional[float]
    comparison: Optional[Comparison]
    build_seconds: float
    sizing_seconds: float
    certify_seconds: float
    tight_seconds: float
    eval_seconds: float


class _TicketMetaOptional(TypedDict, total=False):
    bases: List[Dict[str, Any]]
    pool_after: int
    ops: List[List[Dict[str, Any]]]
    points: int
    layers: List[Dict[str, Any]]


class TicketMeta(_TicketMetaOptional):
    """A ticket file's metadata (``Model.meta``; docs/FORMAT.md)."""
    version: int
    generator: str
    seed: int
    bias: bool
    nonneg_input: bool
    target_widths: List[int]
    input_scale: Optional[float]
    data: Optional[str]
    pairs: List[PairMeta]
    density: float
    kept_edges: int
    random_edges: int
    certified_error: Optional[float]
    misses: int


class AttackResult(TypedDict):
    """What the attack on the tight certificate found."""
    best_error: float
    test_rows_error: float
    input: List[float]
    margin_shifts: List[List[float]]
    evaluations: int


class LocalCertificates(TypedDict):
    """Certificates on the ℓ∞ ball of ``radius`` (raw input units) around
    each test row: ``certified`` rows get one class from target and ticket
    on their whole ball."""
    radius: float
    scaled_radius: float
    certified: int
    rows: int
    share: float
    median_bound: float
    seconds: float


class _VerifyReportOptional(TypedDict, total=False):
    tight_certificate: TightCertificate
    attack: AttackResult
    local_certificates: LocalCertificates


class VerifyReport(_VerifyReportOptional):
    """What ``verify`` found (``sslth verify --json``); ``passed`` says
    whether everything checked holds."""
    checked: int
    mismatches: int
    kept_edges: int
    density: float
    density_matches: bool
    recomputed_certificate: Optional[float]
    recorded_certificate: Optional[float]
    digest_matches: Optional[bool]
    passed: bool


class ShardAttempt(TypedDict):
    """A pair a repair round builds again, at sample count ``n``."""
    pair: int
    n: int


class ShardReport(TypedDict):
    """What one share of a sharded build reports (``build_shard``)."""
    shard: str
    round: int
    attempts: List[ShardAttempt]
    rows: int
    rfss_instances: int
    rfss_misses: int
    kept_edges: int
    build_seconds: float
    file_bytes: int


class FrontierRow(TypedDict):
    """One ticket of the frontier (a row of ``sslth frontier``'s CSV)."""
    nonneg_input: bool
    scale_quantile: float
    weight_eps: float
    k: int
    n: List[int]
    sized: bool
    density: float
    kept_per_weight: float
    random_per_weight: float
    block_random_per_weight: float
    misses: int
    instances: int
    compact_bits_per_weight: float
    theorem5_floor_bits: float
    ticket_accuracy: float
    target_accuracy: float
    agreement: float
    max_error: float
    certified: float
    build_seconds: float
    on_front: bool
    on_accuracy_front: bool


class TheoryCurves(TypedDict):
    """The paper's curves for one input assumption and tolerance, as
    (kept, block random) per target weight for k = 1..32."""
    nonneg_input: bool
    weight_eps: float
    theorem2: List[Tuple[float, float]]
    theorem5: List[Tuple[float, float]]


class Frontier(TypedDict):
    """What ``frontier`` returns."""
    rows: List[FrontierRow]
    target_weights: int
    theory: List[TheoryCurves]


class CompareRow(TypedDict):
    """One row of ``compare`` (``sslth compare``'s CSV)."""
    method: str
    law: Optional[str]
    asked_density: Optional[float]
    density: float
    random_edges: int
    kept_edges: int
    kept_per_target_weight: float
    runs: int
    test_accuracy: float
    accuracy_sd: float
    accuracy_min: float
    accuracy_max: float
    seconds: float
    compact_bytes: Optional[int]
    note: str


class PopupReport(TypedDict):
    """What an edge-popup run reports (the ``report`` of ``popup``'s ticket)."""
    data: str
    widths: List[int]
    law: str
    density: float
    kept_edges: int
    random_edges: int
    epochs: int
    train_seconds: float
    test_accuracy: float
    test_rows: int


class Theorem3Layer(TypedDict):
    """Theorem 3's sizing of one layer (``rfss.theorem3``)."""
    d_in: int
    d_out: int
    n: float
    k: float
    hidden: float
    params: float
    kept: float


class _FirstMomentOptional(TypedDict, total=False):
    expected_good_subsets: float


class FirstMoment(_FirstMomentOptional):
    """The first-moment prediction for one sample law (``expected_good_subsets`` with an n)."""
    n_expectation_1: int


class Corollary2(TypedDict):
    """Corollary 2's n and whether its condition on k holds."""
    n: int
    condition_holds: bool


class BoundsTheorem3(TypedDict):
    """Theorem 3 for a network's widths."""
    gamma_prime: float
    c_amp: float
    layers: List[Theorem3Layer]
    m: float
    m_t: float
    overparameterisation: float
    kept: float
    kept_over_m: float
    paper_density: float


class Theorem4Layer(TypedDict):
    """Theorem 4 for one layer of a target."""
    layer: int
    basis: Any
    basis_size: int
    basis_norm: float
    c_in: int
    c_out: int
    hidden_spaces: float


class _BoundsOptional(TypedDict, total=False):
    ratio: float
    theorem3: BoundsTheorem3
    theorem4: Dict[str, Any]
    theorem4_layers: List[Theorem4Layer]


class Bounds(_BoundsOptional):
    """What ``rfss.bounds`` computes (``sslth rfss bounds --json``)."""
    k: int
    eps: float
    n: Optional[int]
    theorem2_n: int
    corollary1_n: int
    corollary2_n: Corollary2
    theorem5_n: int
    first_moment: Dict[str, FirstMoment]
