//! The README's first program: a 4 × 6 global array of zeros; rank 0
//! puts a 2 × 2 block one-sidedly, every rank atomically adds 0.5
//! everywhere, and every rank gets a piece back, whichever ranks own it.
//!
//! Run: `scripts/run-example hello 4` (or, once built,
//! `mpirun -np 4 target/native/release/examples/hello`).

use gain::GlobalArray;
use ndarray::{Array2, array, s};

fn main() -> gain::Result<()> {
    let rt = gain::init()?; // MPI, node topology, abort-on-panic
    let ga = GlobalArray::<f64, _>::zeros(&rt, [4, 6])?; // collective
    if rt.rank() == 0 {
        ga.put(s![1..3, 2..4], &array![[1., 2.], [3., 4.]])?; // one-sided
    }
    ga.sync()?; // collective: the put is now visible everywhere
    ga.acc(.., &Array2::ones((4, 6)), 0.5)?; // atomic, every rank, the whole array
    ga.sync()?;
    let part = ga.get(s![2.., 2..4])?; // an ndarray::Array2, from whichever ranks own it
    println!("rank {} of {}: {part}", rt.rank(), rt.size());
    Ok(())
}
