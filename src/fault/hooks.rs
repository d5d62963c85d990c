//! The process hooks of the fault handling: a panic, or an exit while MPI
//! still runs, ends the whole job with the rank's message instead of
//! leaving the other ranks waiting.

use std::sync::Once;

use crate::window::{abort_world, at_exit};

/// Installs, once per process, a panic hook that prints the rank and calls
/// `MPI_Abort` (so the other ranks never hang in a collective), and an
/// exit hook that aborts the job when the process exits with MPI still
/// running.
pub(crate) fn install_hooks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            default(info);
            if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
                let rank = super::rank_text();
                eprintln!("gain: rank {rank} panicked (message above); calling MPI_Abort");
                let _ = std::io::Write::flush(&mut std::io::stderr());
                // Give the launcher time to forward the message: MPICH's
                // hydra can kill the job before draining the rank's pipe.
                std::thread::sleep(std::time::Duration::from_millis(300));
                abort_world(101);
            }
        }));
        // A rank that exits with MPI still running (`std::process::exit`
        // before the runtime was dropped) would leave the others waiting
        // in their next collective under launchers that do not notice.
        if let Err(e) = at_exit(exit_with_mpi_running) {
            eprintln!("gain: {e}; a rank that exits early may leave the others waiting");
        }
    });
}

/// The exit hook: a rank that exits while MPI still runs aborts the job,
/// naming itself.
extern "C" fn exit_with_mpi_running() {
    if mpi::environment::is_initialized() && !mpi::environment::is_finalized() {
        let rank = super::rank_text();
        eprintln!(
            "gain: rank {rank} is exiting while MPI is still running (std::process::exit, or a \
             leaked runtime); aborting the job so that the other ranks do not wait for it"
        );
        let _ = std::io::Write::flush(&mut std::io::stderr());
        std::thread::sleep(std::time::Duration::from_millis(300));
        abort_world(1);
    }
}
