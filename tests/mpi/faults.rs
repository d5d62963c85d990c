//! Fault scenarios: programs written the natural way (`gain::init()`,
//! `?` everywhere, `main` returning `gain::Result`) in which one rank
//! leaves early, fails or dies. The parent runs each under the launcher in
//! a private `/dev/shm` and checks that the job ends within 30 s with a
//! non-zero exit code and a message naming the rank and the cause, and
//! that nothing of the job is left in `/dev/shm` (see `main.rs`).

use gain::numpy::{self, Zip};
use gain::{GlobalArray, MapMode, Result};
use mpi::traits::*;
use ndarray::{Array1, Array2};

/// The scenario a `fault` child runs.
pub const SCENARIO: &str = "GAIN_TEST_FAULT";

/// One scenario: its name, and the texts the job's output must contain
/// at `np` ranks (the last rank is `np - 1`), for Open MPI and for MPICH.
pub struct Scenario {
    pub name: &'static str,
    /// What the failed job's output must contain; empty: the job must
    /// succeed (the fault is one gain reports as an error).
    pub expect: fn(np: usize, open_mpi: bool) -> Vec<String>,
    /// Extra environment for the job.
    pub env: fn(np: usize) -> Vec<(&'static str, String)>,
    /// The size of the job's private `/dev/shm`.
    pub shm: &'static str,
    body: fn() -> Result<()>,
}

fn no_env(_: usize) -> Vec<(&'static str, String)> {
    Vec::new()
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "save_npy_to_a_full_filesystem",
        expect: |_, _| Vec::new(),
        env: no_env,
        shm: "64m",
        body: save_to_a_full_filesystem,
    },
    Scenario {
        name: "save_npy_to_a_full_filesystem_positioned",
        expect: |_, _| Vec::new(),
        env: |_| vec![("GAIN_NPY_IO", "positioned".to_string())],
        shm: "64m",
        body: save_to_a_full_filesystem,
    },
    Scenario {
        name: "one_rank_returns_a_one_sided_error",
        expect: |_, _| {
            vec![
                "rank 0: GlobalArray::get: OutOfBounds".into(),
                "aborting the job".into(),
            ]
        },
        env: no_env,
        shm: "64m",
        body: one_rank_returns_a_one_sided_error,
    },
    Scenario {
        name: "one_rank_scatters_a_bad_index",
        expect: |np, _| {
            vec![
                format!(
                    "rank {}: GlobalArray::scatter_elements: OutOfBounds: index 1 of the list",
                    np - 1
                ),
                "aborting the job".into(),
            ]
        },
        env: no_env,
        shm: "64m",
        body: one_rank_scatters_a_bad_index,
    },
    Scenario {
        name: "scatter_root_passes_nothing",
        // Every rank returns the error (they agree on it), but the
        // launcher ends the job when the first exits, so which rank's line
        // gets printed is a race: any one will do.
        expect: |_, _| {
            vec![
                ": numpy::scatter: InvalidArgument: the root (rank 0) passed no array to scatter"
                    .into(),
            ]
        },
        env: no_env,
        shm: "64m",
        body: scatter_root_passes_nothing,
    },
    Scenario {
        name: "one_rank_panics_inside_a_collective",
        expect: |np, _| {
            vec![
                format!("deliberate panic on rank {}", np - 1),
                format!("gain: rank {} panicked", np - 1),
            ]
        },
        env: no_env,
        shm: "64m",
        body: one_rank_panics_inside_a_collective,
    },
    Scenario {
        name: "one_rank_allocation_fails",
        expect: |np, _| {
            vec![
                format!("rank {}: Mpi: MPI_Win_allocate_shared", np - 1),
                "did not reach the end of an array's allocation".into(),
                "aborting the job".into(),
            ]
        },
        env: |np| vec![("GAIN_INJECT_ALLOC_FAILURE", (np - 1).to_string())],
        shm: "64m",
        body: allocate_then_work,
    },
    Scenario {
        name: "allocation_fails_in_a_small_dev_shm",
        expect: |_, open_mpi| {
            if open_mpi {
                // Open MPI checks the space and fails on the node's leader;
                // the other ranks stay inside MPI_Win_allocate_shared.
                vec![
                    "Mpi: MPI_Win_allocate_shared failed".into(),
                    "did not reach the end of an array's allocation".into(),
                    "aborting the job".into(),
                ]
            } else {
                // MPICH maps more than there is; touching it raises SIGBUS.
                // Hydra reports whichever rank it reaps first: the one that
                // died of SIGBUS ("Bus error (signal 7)", "EXIT CODE: 7") or
                // one it already terminated ("signal 15"), so only its
                // banner is certain.
                vec![
                    "the node's shared memory ran out (SIGBUS)".into(),
                    "BAD TERMINATION".into(),
                ]
            }
        },
        env: no_env,
        // Room for the launcher's own segments (4 MB a rank), not for the
        // array's 32 MB.
        shm: "20m",
        body: allocate_then_work,
    },
    Scenario {
        name: "one_rank_killed_with_sigkill",
        expect: |np, open_mpi| {
            if open_mpi {
                vec![format!("rank {} with PID", np - 1), "signal 9".into()]
            } else {
                // Hydra names the PID and exit code of the first process it
                // reaps (the killed one), not the rank.
                vec!["BAD TERMINATION".into(), "EXIT CODE: 9".into()]
            }
        },
        env: no_env,
        shm: "64m",
        body: one_rank_killed_with_sigkill,
    },
    Scenario {
        name: "one_rank_exits_early",
        expect: |np, _| {
            vec![format!(
                "gain: rank {} is exiting while MPI is still running",
                np - 1
            )]
        },
        env: no_env,
        shm: "64m",
        body: one_rank_exits_early,
    },
    Scenario {
        name: "mutex_holder_panics_while_others_wait",
        expect: |np, _| {
            vec![
                format!("deliberate panic on rank {} holding mutex 0", np - 1),
                format!("gain: rank {} panicked", np - 1),
            ]
        },
        env: no_env,
        shm: "64m",
        body: mutex_holder_panics,
    },
    Scenario {
        name: "mutex_holder_exits_while_others_wait",
        expect: |np, _| {
            vec![format!(
                "gain: rank {} is exiting while MPI is still running",
                np - 1
            )]
        },
        env: no_env,
        shm: "64m",
        body: mutex_holder_exits,
    },
    Scenario {
        name: "local_mut_of_a_read_only_file_panics",
        expect: |np, _| {
            vec![
                format!(
                    "GlobalArray::local_mut: rank {}: ReadOnly: the array is mapped read-only",
                    np - 1
                ),
                format!("gain: rank {} panicked", np - 1),
            ]
        },
        env: no_env,
        shm: "64m",
        body: local_mut_of_a_read_only_file,
    },
];

/// Runs the scenario `GAIN_TEST_FAULT` names as `main` would: an `Err`
/// is printed with `Debug` and the process exits with code 1.
pub fn run() -> ! {
    let name = std::env::var(SCENARIO).unwrap_or_default();
    let scenario = SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no fault scenario named {name:?}"));
    match (scenario.body)() {
        Ok(()) => {
            println!("fault scenario {name} returned Ok");
            std::process::exit(0)
        }
        Err(e) => {
            // One write, so the ranks' lines do not interleave.
            let line = format!("Error: {e:?}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            std::process::exit(1)
        }
    }
}

/// Rank 0 alone reads past the end and returns the error with `?`; the
/// others carry on into collectives.
fn one_rank_returns_a_one_sided_error() -> Result<()> {
    let rt = gain::init()?;
    let ga = GlobalArray::<f64, _>::zeros(&rt, [16, 4])?;
    ga.sync()?;
    if rt.rank() == 0 {
        ga.get(ndarray::s![10..17, ..])?;
    }
    ga.sync()?;
    let b = ga.duplicate()?;
    b.sync()?;
    Ok(())
}

/// The last rank's element scatter has an index past the end: it returns
/// the error with `?` while the others wait in the sync that follows.
fn one_rank_scatters_a_bad_index() -> Result<()> {
    let rt = gain::init()?;
    let ga = GlobalArray::<i64, _>::zeros(&rt, [6, 4])?;
    ga.sync()?;
    let bad = rt.rank() == rt.size() - 1;
    let list = [[0, 0], [if bad { 6 } else { 5 }, 1]];
    ga.scatter_elements(&list, &[1, 2])?;
    ga.sync()?;
    Ok(())
}

/// The root of `scatter` passes no array.
fn scatter_root_passes_nothing() -> Result<()> {
    let rt = gain::init()?;
    let data = Array1::<f64>::zeros(5);
    let held = (rt.rank() != 0).then(|| data.view());
    let a = numpy::scatter(&rt, 0, held)?;
    a.sync()?;
    Ok(())
}

/// The last rank panics inside the closure of a distributed `Zip`, while
/// the others wait in its closing sync.
fn one_rank_panics_inside_a_collective() -> Result<()> {
    let rt = gain::init()?;
    let mut a = numpy::zeros::<f64, _>(&rt, [8 * rt.size(), 3])?;
    let last = rt.rank() == rt.size() - 1;
    Zip::from(&mut a).for_each(|x| {
        if last {
            panic!("deliberate panic on rank {}", rt.rank());
        }
        *x = 1.0;
    })?;
    Ok(())
}

/// Creates an array of 4 M `f64` (32 MB) and works on it.
fn allocate_then_work() -> Result<()> {
    let rt = gain::init()?;
    let mut ga = GlobalArray::<f64, _>::zeros(&rt, [1 << 22])?;
    ga.local_mut().fill(1.0);
    ga.sync()?;
    let total: f64 = ga.get(..)?.sum();
    println!("sum {total}");
    Ok(())
}

/// A save into a filesystem without room for the file (a 4 MB tmpfs that
/// rank 0 mounts in the job's private mount namespace): an `Io` error on
/// every rank naming the cause, no file and no temporary left, the same
/// for `create_npy` of an array that does not fit, and the same
/// filesystem still takes a small file afterwards.
fn save_to_a_full_filesystem() -> Result<()> {
    let rt = gain::init()?;
    let mut pid = std::process::id();
    rt.comm().process_at_rank(0).broadcast_into(&mut pid);
    let dir = std::path::PathBuf::from(format!("/tmp/gain-full-fs-{pid}"));
    if rt.rank() == 0 {
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(mounted.success(), "mount a 4 MB tmpfs");
    }
    rt.sync()?;
    // 8 MB of data for 4 MB of room.
    let ga = gain::numpy::ones::<f64, _>(&rt, [1 << 20])?;
    let e = gain::io::save_npy(&ga, dir.join("full.npy")).expect_err("a save that cannot fit");
    assert_eq!(e.kind(), gain::ErrorKind::Io, "{e}");
    assert!(e.to_string().contains("No space left"), "{e}");
    rt.sync()?;
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "the failed save left {left:?}");
    // A file-backed array that does not fit: an error at creation (its
    // blocks are allocated), not a bus error at a later store.
    let made = gain::io::create_npy::<f64, _>(&rt, dir.join("made.npy"), [1 << 20]);
    let e2 = made.expect_err("a file-backed array that cannot fit");
    assert_eq!(e2.kind(), gain::ErrorKind::Io, "{e2}");
    let left = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(left, 0, "the failed create_npy left a file");
    let small = gain::numpy::ones::<f64, _>(&rt, [64])?;
    gain::io::save_npy(&small, dir.join("small.npy"))?;
    let back = gain::io::load_npy::<f64, ndarray::Ix1>(&rt, dir.join("small.npy"))?;
    assert_eq!(back.sum()?, 64.0);
    rt.sync()?;
    if rt.rank() == 0 {
        let _ = std::process::Command::new("umount").arg(&dir).status();
        std::fs::remove_dir(&dir).unwrap();
        println!("save to a full filesystem: {e}");
    }
    Ok(())
}

/// The last rank kills itself with SIGKILL after the first sync; the
/// others keep synchronising.
fn one_rank_killed_with_sigkill() -> Result<()> {
    let rt = gain::init()?;
    let ga = GlobalArray::<i64, _>::zeros(&rt, [4 * rt.size()])?;
    ga.sync()?;
    if rt.rank() == rt.size() - 1 {
        let me = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &me])
            .status();
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
    for _ in 0..100_000 {
        ga.sync()?;
    }
    Ok(())
}

/// The last rank calls `std::process::exit(0)` in the middle of the
/// program, with its arrays and runtime still alive.
fn one_rank_exits_early() -> Result<()> {
    let rt = gain::init()?;
    let ga = GlobalArray::<f64, _>::zeros(&rt, [6, 6])?;
    ga.sync()?;
    if rt.rank() == rt.size() - 1 {
        std::process::exit(0);
    }
    let m = Array2::<f64>::ones((6, 6));
    ga.acc(.., &m, 1.0)?;
    ga.sync()?;
    ga.sync()?;
    Ok(())
}

/// The last rank asks for a mutable view of an array mapped read-only:
/// a panic naming the error, never a write into the read-only mapping.
fn local_mut_of_a_read_only_file() -> Result<()> {
    let rt = gain::init()?;
    let mut pid = std::process::id();
    rt.comm().process_at_rank(0).broadcast_into(&mut pid);
    let path = std::env::temp_dir().join(format!("gain-fault-read-only-{pid}.npy"));
    gain::io::create_npy::<f64, _>(&rt, &path, [4 * rt.size(), 2])?.destroy()?;
    let mut ga = GlobalArray::<f64, ndarray::Ix2>::map_npy(&rt, &path, MapMode::ReadOnly)?;
    // Every rank has mapped the file: its name can go, so that the
    // aborted job leaves nothing behind.
    ga.sync()?;
    if rt.rank() == 0 {
        std::fs::remove_file(&path).expect("removing the file");
    }
    ga.sync()?;
    if rt.rank() == rt.size() - 1 {
        ga.local_mut().fill(1.0);
    }
    ga.sync()?;
    Ok(())
}

/// The last rank locks mutex 0, the others queue for it; the holder
/// panics (`exit`: calls `std::process::exit`) inside its critical
/// section, so the others would wait for ever without the fault hooks.
fn mutex_holder_dies(exit: bool) -> Result<()> {
    let rt = gain::init()?;
    let locks = gain::Mutexes::new(&rt, 1)?;
    let last = rt.size() - 1;
    if rt.rank() == last {
        let _held = locks.lock(0)?;
        rt.all_reduce_value(1u8, gain::ReduceOp::Max)?;
        // Give the others time to queue behind this rank.
        std::thread::sleep(std::time::Duration::from_millis(300));
        if exit {
            std::process::exit(0);
        }
        panic!("deliberate panic on rank {last} holding mutex 0");
    }
    rt.all_reduce_value(1u8, gain::ReduceOp::Max)?;
    let _turn = locks.lock(0)?;
    Ok(())
}

fn mutex_holder_panics() -> Result<()> {
    mutex_holder_dies(false)
}

fn mutex_holder_exits() -> Result<()> {
    mutex_holder_dies(true)
}
