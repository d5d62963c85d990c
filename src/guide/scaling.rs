//! What each call costs as ranks, nodes and arrays grow: the cost model,
//! the runs that check it, and what gives way first at 10,000 ranks.
//!
//! `P` is the number of ranks, `Q` the ranks of one node, `W` the arrays
//! alive. "log P rounds" is one collective of the MPI library (its tree or
//! dissemination algorithms).
//!
//! # Memory per rank
//!
//! | what | gain's own | grows with |
//! |---|---|---|
//! | the runtime | a node table, 16 B per rank, shared by its arrays | P, once |
//! | an array's distribution | its block starts: one word per block along each axis (`P + 1` words for a 1-d array, about `d·P^(1/d)` for a `d`-d one), as Global Arrays' map | P (1-d) |
//! | an array's block table | a 16 B slot per rank; a rank's block and stored shape (about 200 B) are worked out when first asked for | P |
//! | an array's window | a 16 B slot per rank for the ordering records, and a record (about 150 B) per rank written to; 40 B per rank of the node; one data offset (segments aligned alike; file-backed arrays keep one per rank) | P, Q |
//! | small writes in flight | copies of up to 1 MiB per target written to, freed at its next flush | targets written |
//! | a node's shared memory | each block rounded up to pages, plus a 128 B header; reading the peers' headers at creation maps one page of each | Q |
//! | the progress thread | a thread and a duplicated communicator | — |
//!
//! So gain's bookkeeping is about 32 bytes per rank and per array (320 KB
//! an array at 10,000 ranks; a 1-d array's distribution 80 KB more), plus
//! what a rank's accesses touch. The MPI library keeps state of its own
//! per window. Measured (`scripts/bench cost`, Open MPI 4.1, resident
//! memory a small array adds to rank 0): 16 KB alone, 4.4 KB more per
//! rank of the node (the one page of each peer, shared with it), and 61 KB
//! with one rank on each of 2 hosts, 63 KB on 4 hosts: `osc/ucx`'s world
//! window and its per-target keys, with nothing that grows visibly from 2
//! to 4 ranks.
//!
//! # Messages and time
//!
//! | call | messages |
//! |---|---|
//! | creating an array | the argument agreement (one allreduce of a digest); the node window (`MPI_Win_allocate_shared` over the node); across nodes the world window, where the MPI library exchanges every rank's memory keys (O(P) data to each rank); one allreduce agreeing on the data offset; the first `sync` |
//! | destroying it | an exit point (a non-blocking allreduce); `MPI_Win_free` (a barrier inside the library) |
//! | `sync` | `MPI_Win_flush_all` on each array written through the world window since the last `sync` (Open MPI's `osc/ucx` flushes its worker once; MPICH goes target by target, O(P)); `MPI_Win_sync` on each array (local); one barrier |
//! | an agreement check (each collective call with arguments) | one allreduce of a fixed-size digest; the texts travel only when they differ (an allgather, O(P), on the failure path) |
//! | rank 0's outcome (a file it created) | two broadcasts |
//! | `get`, `put`, `acc` | per block touched, one memory copy (same node) or MPI call; a `put` or `acc` of up to 4 KB to another node returns without a round trip; a call touching what a pending write may write waits one (`MPI_Win_flush`) |
//! | `read_inc` | `MPI_Fetch_and_op` and a flush: one round trip |
//! | the progress thread | nothing while the rank is in gain's calls; one `MPI_Iprobe` per 100 µs while it computes ([`super::hosts`]) |
//!
//! Measured with one rank on each of 2 hosts of the bed (TCP; Open MPI
//! 4.1, `osc/ucx`): a one-`f64` allreduce 13 µs; a `sync` with 100 arrays
//! live and nothing written 20 µs (one barrier, and 100 local
//! `MPI_Win_sync`s of about 20 ns); each array written since the last
//! `sync` adds about 3 µs (its flush); creating and destroying a small
//! array 1.1 ms, against 16 µs on one rank and 0.14 ms for 2 ranks of one
//! node.
//!
//! # At 10,000 ranks
//!
//! - Collectives (`sync`, creation, agreements) are O(log P) rounds: from
//!   the bed's 13 µs allreduce at 2 ranks, some 14 rounds, a few hundred
//!   µs on such a network, far less on a cluster's.
//! - What gives way first is memory per array: gain's 320–400 KB (the
//!   slots of the block table and the ordering records, a 1-d map) plus the
//!   MPI library's per-target keys of each world window, which Open MPI's
//!   `osc/ucx` and MPICH hold for every rank. A program with thousands of
//!   arrays at 10,000 ranks holds gigabytes per rank in such tables. Few,
//!   large arrays (Global Arrays' own advice) stay in megabytes.
//! - Creation then costs the library's exchange of window keys, O(P) data
//!   to each rank, which is why creating arrays in a loop does not scale
//!   at any size; create once, reuse.
//! - `sync` of arrays written since the last one costs, under MPICH, a
//!   flush that visits every target; arrays only read cost nothing but the
//!   barrier.
//!
//! What was O(P) per array and is no longer: each rank's block and stored
//! shape (about 200 B a rank, 2 MB an array at 10,000 ranks) are worked
//! out when first asked for; the ordering records are made for targets
//! written to only; the data offsets, once gathered from every rank, are
//! agreed in one allreduce; rank 0's outcome travels in two broadcasts,
//! not an allgather; `sync` skips the flush of arrays not written since.
//!
//! # Checking the model
//!
//! `scripts/bench cost` runs `benches/cost.rs` at 1 to 4 ranks on one node
//! and on the bed (1+1, 2+2, 4 hosts of 1; needs root), and holds the
//! model's claims to the runs (BENCHMARKS.md, "cost"): the memory per
//! rank of the node is one page; the memory per array does not grow from
//! 2 to 4 hosts; a `sync` with nothing written costs one collective.
//! Times at more ranks than the machine's two cores are its scheduler's (a
//! rank that waits busy-polls, and waits out another's time slice: 4 ms
//! for an allreduce at 4 ranks on the bed), so they are reported in
//! `target/bench/cost.json`, not held to the model.
