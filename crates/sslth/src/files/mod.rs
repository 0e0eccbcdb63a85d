//! Files (docs/FORMAT.md): targets in PyTorch's `nn.Sequential` naming,
//! full and compact tickets, `.npy` matrices, atomic writes, and
//! [`Runnable`], whichever of a target or a ticket a file holds.
//!
//! Every reader names the file in its one-line error ([`ModelError`]);
//! every writer returns bytes that are the same on every run.

pub mod atomic;
pub mod compact;
pub mod digest;
pub mod full;
pub mod npy;
pub mod runnable;
pub mod safetensors;
pub mod stream_run;
pub mod streams;
pub mod target;
pub mod ticket_read;

pub use atomic::{write_atomic, write_atomic_with};
pub use compact::{compact_bytes, COMPACT};
pub use digest::{weights_digest, DIGEST_KEY};
pub use full::{full_bytes, FULL};
pub use runnable::{recorded_data, Runnable};
pub use safetensors::{header_metadata, ModelError};
pub use streams::{compact_bytes_of_choices, write_full_of_choices, CompactStreams, PairVisitor, PairWalk, RowBlock};
pub use target::TargetInfo;
pub use ticket_read::{is_ticket, read as read_ticket, verify, LoadedTicket, Verification};
