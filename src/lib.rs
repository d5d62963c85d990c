//! gain placeholder
#![deny(missing_docs)]
mod dist;
mod error;
pub use dist::{Distribution, Section, process_grid};
pub use error::{Error, ErrorKind, Result};
