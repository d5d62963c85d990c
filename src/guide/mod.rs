//! The user's guide: everything beyond the README's first program, as
//! documentation only (this module and its submodules hold no items).
//!
//! - [`arrays`]: element types, sections, errors, and what a rank sees
//!   through a view of shared memory;
//! - [`numpy`]: the NumPy layer, [`crate::numpy`], and NumPy ↔ gain;
//! - [`files`]: `.npy` files, file-backed and replicated arrays;
//! - [`faults`]: when a rank fails, the job ends, and how;
//! - [`threads`]: threads inside a rank, and one rank per node;
//! - [`hosts`]: jobs across hosts, the MPIs' needs, and the multi-host
//!   bed `scripts/hosts`;
//! - [`scaling`]: what each call costs as ranks, nodes and arrays grow,
//!   and what gives way first at 10,000 ranks;
//! - [`environment`]: the `GAIN_*` variables and known MPI limitations;
//! - [`features`]: Cargo features;
//! - [`layers`]: how the crate is built, layer by layer;
//! - [`testing`]: the test suite and the benchmarks.
//!
//! The README has the two commands (`scripts/run-example`,
//! `scripts/test`), the first program, the examples and the table of
//! Global Arrays calls and their gain names; BENCHMARKS.md has the
//! figures.

pub mod arrays;
pub mod environment;
pub mod faults;
pub mod features;
pub mod files;
pub mod hosts;
pub mod layers;
pub mod numpy;
pub mod scaling;
pub mod testing;
pub mod threads;
