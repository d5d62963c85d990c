//! The child modes that run cases: each case `GAIN_TEST_CASES` names, and
//! a deliberate panic on one rank.

use mpi::traits::*;

use crate::harness::CASES;
use crate::registry;

/// Runs the cases `GAIN_TEST_CASES` names, in order; after each, rank 0
/// prints `case NAME ok` (the parent reads it to tell which passed).
pub fn run_cases() {
    let rt = gain::init().expect("init");
    let wanted = std::env::var(CASES).unwrap_or_default();
    for name in wanted.split(',').filter(|n| !n.is_empty()) {
        let case = registry::find(name).unwrap_or_else(|| panic!("no case named {name}"));
        let start = std::time::Instant::now();
        (case.body)(&rt);
        rt.comm().barrier();
        if rt.rank() == 0 {
            println!(
                "case {name} ok (np={}) {:.2} s",
                rt.size(),
                start.elapsed().as_secs_f64()
            );
        }
    }
}

/// Rank `size - 1` panics while the others wait in a collective.
pub fn panic_on_last_rank() {
    let rt = gain::init().expect("init");
    if rt.rank() == rt.size() - 1 {
        panic!("deliberate panic on rank {}", rt.rank());
    }
    rt.comm().barrier();
    unreachable!("the barrier cannot complete");
}
