//! Element types, sections, errors, accumulates, and what a view of
//! shared memory sees.
//!
//! The README's table maps Global Arrays' calls to gain's; each call's
//! docs say whether it is collective, one-sided or local.
//!
//! # Element types and sections
//!
//! Element types: `i8`–`i64`, `u8`–`u64`, `f32`, `f64` ([`crate::Element`]);
//! up to 8 dimensions (any [`ndarray::Dimension`]). Sections are half-open
//! (`[0..4, 2..6]`), written as ranges, with ndarray's `s![]` macro, or
//! `..` for the whole array ([`crate::IntoSection`]). Axes may have length
//! zero, as in NumPy: such an array has no elements and no rank owns a
//! block.
//!
//! Two more kinds of section have calls of their own, as in Global
//! Arrays. A stepped section (`s![0..n;4, ..]`, [`crate::IntoStridedSection`])
//! moves only the selected elements: `get_strided`, `put_strided`,
//! `acc_strided` make one MPI call per remote owner with a strided target
//! datatype, and strided copies on the node. A periodic section
//! (`[-1..n + 1, 0..m]`, [`crate::PeriodicRanges`]) wraps around the ends
//! of each axis: `get_periodic`, `put_periodic`, `acc_periodic` cut it into
//! the in-range sections it covers.
//!
//! # Errors
//!
//! Bad input (out-of-bounds or reversed sections, buffer shape
//! mismatches, size overflow, ranks passing different arguments to a
//! collective) returns a typed [`crate::Error`] before anything is written
//! or sent; its message reads `rank R: Operation: Kind: ...` with the
//! offending values. What happens when a rank leaves with an error, or
//! fails otherwise, is in [`super::faults`].
//!
//! # Accumulates
//!
//! Integer accumulates wrap on overflow, as `MPI_SUM` does, wherever the
//! target lives; [`read_inc`](crate::GlobalArray::read_inc) takes a signed
//! increment.
//!
//! On a single node every `acc` and `read_inc` adds directly into shared
//! memory under the target block's spin lock (a word in the block's
//! header); when the job spans nodes every accumulate — same-node ones
//! included — is an `MPI_Accumulate`/`MPI_Fetch_and_op` on the world
//! window, which MPI makes atomic per element. The two never mix, so
//! concurrent accumulates into one element cannot race. The tests prove it
//! with all-same-node, all-remote and mixed rank placements.
//!
//! # Order of one rank's calls
//!
//! A rank's own one-sided calls to one location take effect in the order
//! it made them: a `get` sees this rank's earlier `put` there, an `acc`
//! adds onto it. `put` and `acc` return once their buffer may be reused;
//! on another node the data may still be on its way. So the window layer
//! records, per target rank, the range of elements its puts and
//! accumulates in flight may write, and completes them at the target
//! (`MPI_Win_flush`, one round trip) only before a call that touches that
//! range. Calls to other places go straight out, and an accumulate after
//! accumulates needs no flush either, as MPI orders those by default. So
//! a loop of small puts to different places costs no round trip each,
//! and repeated puts to one place cost one each. Order between ranks,
//! or between threads that do not synchronise, is what `sync` and
//! `fence` are for.
//!
//! # Element lists
//!
//! [`gather_elements`](crate::GlobalArray::gather_elements),
//! [`scatter_elements`](crate::GlobalArray::scatter_elements) and
//! [`scatter_acc_elements`](crate::GlobalArray::scatter_acc_elements)
//! (Global Arrays' `NGA_Gather`, `NGA_Scatter`, `NGA_Scatter_acc`) move
//! only the elements a list of N-d indices names. The list is grouped by
//! owner (a counting sort, O(n + ranks)); same-node owners are read and
//! written in shared memory, each remote owner with one MPI call whose indexed datatype
//! (`MPI_Type_create_hindexed_block`) picks the elements out of its block.
//! MPI forbids naming one element twice in such a datatype, so repeats
//! are combined first: a scatter keeps the last value listed for an
//! element, an accumulate adds the sum of its values (in list order) once,
//! on either accumulate route.
//!
//! # Views of shared memory
//!
//! Views of shared memory are sound in Rust's terms: while this process
//! holds a [`LocalView`](crate::LocalView) or a borrowed
//! [`Access`](crate::Access) of a block, its own writes into that block
//! return [`ErrorKind::Borrowed`](crate::ErrorKind::Borrowed) (a
//! `RefCell`-style check, one counter per same-node block); other ranks'
//! writes show through a view only as Global Arrays allows, and every
//! write before a `sync` is seen after it. The crate docs, "Local views
//! and what they see", give the details.
//!
//! # Ghost cells
//!
//! [`zeros_with_ghosts`](crate::GlobalArray::zeros_with_ghosts) (Global
//! Arrays' `NGA_Create_ghosts`) stores every block padded by a halo of
//! given widths per axis, periodic or not per axis; everything else
//! (get, put, accumulate, views, files, the NumPy layer) sees the array
//! as if it had none.
//! [`update_ghosts`](crate::GlobalArray::update_ghosts) (collective,
//! without any barrier) fills every halo, corners included, with
//! messages as Global Arrays 5 does: axis by axis, each rank sends its
//! edge layers to its neighbours (`MPI_Isend` of a packed box) and
//! receives theirs into its halo; the halo past a non-periodic edge is left
//! as it was. [`update_ghost_dir_nb`](crate::GlobalArray::update_ghost_dir_nb)
//! updates one side of one axis one-sidedly while the interior is computed,
//! and [`local_with_ghosts`](crate::GlobalArray::local_with_ghosts) views
//! the padded block. `examples/heat.rs` is a stencil written this way.
