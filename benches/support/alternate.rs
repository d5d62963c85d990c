//! Timing contenders side by side, shared by the MPI benches (`rma.rs`,
//! `faults.rs`): each closure is called `reps` times a trial, the closures
//! take turns trial by trial, so drift on this shared machine hits all
//! alike, and each one's median over the trials is returned.

use std::time::Instant;

/// Median over `trials` of the mean time per call of each closure, in
/// seconds. `before_trial` runs before every timed trial (a barrier, when
/// the contenders are collectives every rank times together).
pub fn compare(
    trials: usize,
    reps: usize,
    before_trial: &mut dyn FnMut(),
    fs: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(trials); fs.len()];
    for f in fs.iter_mut() {
        for _ in 0..reps.div_ceil(10) {
            f();
        }
    }
    for _ in 0..trials {
        for (i, f) in fs.iter_mut().enumerate() {
            before_trial();
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            samples[i].push(t.elapsed().as_secs_f64() / reps as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}
