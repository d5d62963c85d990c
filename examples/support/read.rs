//! The plain read that the bandwidth baselines time: the two-thread probe
//! (`benches/probe.rs`) and the read pass of `kmeans --probe`.

/// The sum of `x`, in eight independent accumulators so the loop
/// vectorises and keeps many loads in flight: as fast as one core reads.
pub fn sum(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (chunks, rest) = x.as_chunks::<8>();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f64>() + rest.iter().sum::<f64>()
}
