//! The mutexes (`gain::Mutexes`): critical sections of every rank (and
//! two threads per rank in the `Threads` configurations) that read and
//! write shared counters with `get` and `put`, which only mutual
//! exclusion keeps exact; several mutexes at once; every rank finishing
//! its turns (the queue is first come, first served); and bad input.

use gain::{ErrorKind, GlobalArray, Mutexes, ReduceOp, Runtime};
use ndarray::Ix1;

use crate::model::Rng;
use crate::registry::{Case, case};

pub const CASES: &[Case] = &[
    case!(mutex_counters_exact; Light, Threads, Rma, Hosts),
    case!(mutex_every_rank_gets_its_turns; Light, Threads, Hosts),
    case!(mutex_bad_input; Light, Threads),
];

/// The threads per rank: two in the `Threads` configurations
/// (`GAIN_THREADS=2`), else one.
fn threads() -> usize {
    gain::threads().clamp(1, 2)
}

/// `nm` mutexes guarding `nm` counters spread over the blocks; every
/// thread of every rank increments random ones, each inside its mutex,
/// by a `get`, a `put` of the value plus one and a `fence`. Lost updates
/// would leave a counter short: each must equal the increments every
/// thread made to it (summed with `all_reduce`).
fn mutex_counters_exact(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let nm = 3;
    let len = 4 * np + 1;
    // Counter k at a spread of positions, so some are remote and some not.
    let at = |k: usize| k * (len / nm);
    let counters = GlobalArray::<i64, Ix1>::zeros(rt, len).unwrap();
    let locks = Mutexes::new(rt, nm).unwrap();
    assert_eq!(locks.len(), nm);
    let iters = 25;
    let work = |t: usize| {
        let mut rng = Rng::new((me * 7 + t) as u64);
        let mut made = vec![0i64; nm];
        for _ in 0..iters {
            let k = rng.below(nm);
            let i = at(k);
            if rng.below(2) == 0 {
                let g = locks.lock(k).unwrap();
                assert_eq!(g.index(), k);
                let v = counters.get(i..i + 1).unwrap()[0];
                counters.put(i..i + 1, &[v + 1]).unwrap();
                counters.fence().unwrap();
                g.unlock().unwrap();
            } else {
                locks.acquire(k).unwrap();
                let v = counters.get(i..i + 1).unwrap()[0];
                std::thread::yield_now();
                counters.put(i..i + 1, &[v + 1]).unwrap();
                counters.fence().unwrap();
                locks.release(k).unwrap();
            }
            made[k] += 1;
        }
        made
    };
    let mut made = vec![0i64; nm];
    if threads() == 1 {
        // On this thread: the `Rma` configuration's MPI allows no other.
        made = work(0);
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads())
                .map(|t| scope.spawn(move || work(t)))
                .collect();
            for h in handles {
                for (m, x) in made.iter_mut().zip(h.join().unwrap()) {
                    *m += x;
                }
            }
        });
    }
    counters.sync().unwrap();
    rt.all_reduce(&mut made, ReduceOp::Sum).unwrap();
    // Ranks may run different thread counts (a host's cores are shared
    // by the ranks on it).
    let all_threads = rt
        .all_reduce_value(threads() as i64, ReduceOp::Sum)
        .unwrap();
    assert_eq!(
        made.iter().sum::<i64>(),
        all_threads * iters as i64,
        "every increment counted"
    );
    let got = counters.get(..).unwrap();
    for k in 0..nm {
        assert_eq!(got[at(k)], made[k], "counter {k} ({got})");
    }
    locks.destroy().unwrap();
}

/// One mutex, every thread of every rank taking it in turn: each appends
/// its number to a shared log at the position a shared length gives (a
/// `get` and two `put`s under the lock). Every rank finishes its turns,
/// the log holds every turn once, and rank 0 prints the longest run of
/// one rank in a row (the queue serves ranks in arrival order).
fn mutex_every_rank_gets_its_turns(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let turns = 15;
    // Each rank's thread count (they differ where hosts hold different
    // numbers of ranks).
    let mut threads_of = vec![0u64; np];
    threads_of[me] = threads() as u64;
    rt.all_reduce(&mut threads_of, ReduceOp::Sum).unwrap();
    let total = threads_of.iter().sum::<u64>() as usize * turns;
    let log = GlobalArray::<i64, Ix1>::zeros(rt, total + 1).unwrap();
    // Two sets at once: the log's lock is mutex 1 of the second set (home
    // rank 1 % np); the first set's mutexes are locked around it, a
    // different one per thread, so they are held together.
    let outer = Mutexes::new(rt, 2).unwrap();
    let locks = Mutexes::new(rt, 2).unwrap();
    std::thread::scope(|scope| {
        for t in 0..threads() {
            let (log, locks, outer) = (&log, &locks, &outer);
            scope.spawn(move || {
                for _ in 0..turns {
                    let _o = outer.lock(t).unwrap();
                    let _g = locks.lock(1).unwrap();
                    let n = log.get(total..total + 1).unwrap()[0] as usize;
                    assert!(n < total, "more turns than were taken");
                    log.put(n..n + 1, &[(me * 2 + t) as i64]).unwrap();
                    log.put(total..total + 1, &[n as i64 + 1]).unwrap();
                    log.fence().unwrap();
                }
            });
        }
    });
    log.sync().unwrap();
    let all = log.get(..).unwrap();
    assert_eq!(all[total], total as i64, "every turn logged");
    for (r, &threads) in threads_of.iter().enumerate() {
        for t in 0..threads as usize {
            let n = all
                .iter()
                .take(total)
                .filter(|&&x| x == (r * 2 + t) as i64)
                .count();
            assert_eq!(n, turns, "rank {r} thread {t}'s turns in {all}");
        }
    }
    if me == 0 {
        let longest = all
            .iter()
            .take(total)
            .map(|&x| x / 2)
            .fold((0, -1, 0), |(best, last, run), x| {
                let run = if x == last { run + 1 } else { 1 };
                (best.max(run), x, run)
            })
            .0;
        println!("mutex turns: {total}, longest run of one rank: {longest}");
    }
}

/// Index out of range, a release of a mutex not held (by no thread, by
/// another thread), a second lock of a held one, a mismatched `n` at
/// creation, and a destroy while a rank holds one: the error kind on
/// every rank, and the mutexes (or the runtime) still usable afterwards.
fn mutex_bad_input(rt: &Runtime) {
    let (np, me) = (rt.size(), rt.rank());
    let locks = Mutexes::new(rt, 3).unwrap();
    let kind = |r: gain::Result<()>| r.unwrap_err().kind();
    assert_eq!(locks.lock(3).unwrap_err().kind(), ErrorKind::OutOfBounds);
    assert_eq!(kind(locks.acquire(usize::MAX)), ErrorKind::OutOfBounds);
    assert_eq!(kind(locks.release(3)), ErrorKind::OutOfBounds);
    assert_eq!(kind(locks.release(0)), ErrorKind::InvalidArgument);
    {
        let g = locks.lock(me % 3).unwrap();
        // Not reentrant: an error, not a wait for itself.
        assert_eq!(
            kind(locks.lock(me % 3).map(|_| ())),
            ErrorKind::InvalidArgument
        );
        assert_eq!(kind(locks.acquire(me % 3)), ErrorKind::InvalidArgument);
        // Another thread of this rank may not release it.
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(kind(locks.release(me % 3)), ErrorKind::InvalidArgument));
        });
        drop(g);
    }
    // Released: free to lock again, and to release only once.
    locks.acquire(me % 3).unwrap();
    locks.release(me % 3).unwrap();
    assert_eq!(kind(locks.release(me % 3)), ErrorKind::InvalidArgument);
    // An empty set: every index is out of range.
    let none = Mutexes::new(rt, 0).unwrap();
    assert!(none.is_empty());
    assert_eq!(kind(none.acquire(0)), ErrorKind::OutOfBounds);
    none.destroy().unwrap();
    // A different n on the last rank.
    let n = if me == np - 1 { 4 } else { 3 };
    let r = Mutexes::new(rt, n);
    if np == 1 {
        r.unwrap().destroy().unwrap();
    } else {
        let e = r.expect_err("mismatched n");
        assert_eq!(e.kind(), ErrorKind::InconsistentArguments, "{e}");
    }
    // A destroy while rank 0 holds a mutex nobody waits for: an error on
    // every rank, and the runtime goes on.
    let held = Mutexes::new(rt, 2).unwrap();
    if me == 0 {
        held.acquire(1).unwrap();
    }
    let e = held.destroy().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    // Still in step, and the first set still works.
    assert_eq!(rt.all_reduce_value(1u32, ReduceOp::Sum).unwrap(), np as u32);
    locks.lock(2).unwrap().unlock().unwrap();
    locks.destroy().unwrap();
}
