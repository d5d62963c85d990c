//! What the fault handling costs a correct program, measured side by side
//! in one run: the collectives it adds (an argument agreement, one small
//! allreduce, before a collective that writes or reads; a non-blocking
//! allreduce where an array is freed) against the small operations they
//! are added to, and against a plain `MPI_Allreduce` of the same size.
//!
//! Run through `scripts/bench faults`, which starts it under mpirun with
//! two ranks on one node. Rank 0 prints one line for the bench runner
//! (protocol in tools/bench): `BENCH {"program":"faults","<contender>_s":..}`,
//! the median time per call of each contender over alternating trials.

use std::hint::black_box;

use gain::GlobalArray;
use gain::numpy::{self, Zip};
use mpi::collective::SystemOperation;
use mpi::traits::*;

#[path = "support/alternate.rs"]
mod alternate;
use alternate::compare;

fn main() {
    let rt = gain::init().expect("MPI init");
    let n = 4096;
    let mut a = numpy::zeros::<f64, _>(&rt, n).unwrap();
    let b = numpy::ones::<f64, _>(&rt, n).unwrap();
    let comm = rt.comm().duplicate();
    let t = compare(
        15,
        200,
        &mut || rt.comm().barrier(),
        &mut [
            // What an agreement costs: an allreduce of three words.
            &mut || {
                let send = [1u64, 2, 3];
                let mut recv = [0u64; 3];
                comm.all_reduce_into(&send[..], &mut recv[..], SystemOperation::max());
                black_box(recv);
            },
            // What a sync costs (the engine syncs before and after).
            &mut || b.sync().unwrap(),
            // A small elementwise update: agreement, syncs, the adds.
            &mut || Zip::from(&mut a).and(&b).for_each(|x, &y| *x += y).unwrap(),
            // A small reduction: agreement, a sync, the sums, a gather.
            &mut || {
                black_box(b.sum().unwrap());
            },
            // Creating and freeing an array: an agreement, the windows,
            // and the exit point where it is freed.
            &mut || drop(GlobalArray::<f64, _>::zeros(&rt, n).unwrap()),
        ],
    );
    if rt.rank() == 0 {
        let names = [
            "allreduce_3_words_s",
            "sync_s",
            "zip_4k_s",
            "sum_4k_s",
            "create_free_4k_s",
        ];
        let fields: Vec<String> = names
            .iter()
            .zip(&t)
            .map(|(k, v)| format!("\"{k}\":{v:e}"))
            .collect();
        println!(
            "BENCH {{\"program\":\"faults\",\"np\":{},{}}}",
            rt.size(),
            fields.join(",")
        );
    }
}
