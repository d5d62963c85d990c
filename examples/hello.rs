//! The README's first program: put, sync, accumulate, get.

use gain::GlobalArray;
use ndarray::{Array2, array};

fn main() -> gain::Result<()> {
    let rt = gain::init()?; // MPI, node topology, abort-on-panic
    let ga = GlobalArray::<f64, _>::zeros(&rt, [4, 6])?; // collective
    if rt.rank() == 0 {
        ga.put([1..3, 2..4], array![[1., 2.], [3., 4.]].view())?; // one-sided
    }
    ga.sync()?; // collective: the put is now visible everywhere
    ga.acc([0..4, 0..6], Array2::ones((4, 6)).view(), 0.5)?; // atomic, every rank
    ga.sync()?;
    let part = ga.get([2..3, 2..4])?; // an ndarray::Array2, from whichever ranks own it
    println!("rank {} of {}: {part}", rt.rank(), rt.size());
    Ok(())
}
