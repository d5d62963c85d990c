//! The cases an MPI child can run. Each test file declares its own cases
//! (`pub const CASES: &[Case]`, built with [`case!`]) next to their
//! functions, each with the tags that say which configurations of
//! `main.rs` run it; [`all`] joins the files' lists, and [`check`] makes
//! sure every case runs somewhere.

use gain::Runtime;

/// What a case is for, and so which configurations (`main.rs`,
/// `case_configs`) run it. A case carries every tag whose configurations
/// should run it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// Every one-host configuration: the singleton, np = 1..4 on one
    /// node, np = 2..4 with every rank a "node" of its own, and two
    /// "nodes" of two ranks.
    Light,
    /// Tiny MPI transfers (`GAIN_MAX_TRANSFER_BYTES=24`, ranks on
    /// separate "nodes"): every RMA is cut into many chunks.
    Roundtrip,
    /// Sub-word accumulates across "nodes" with Open MPI's AVX reductions
    /// off (`OMPI_MCA_op=^avx`).
    Wraps,
    /// Open MPI's `osc/pt2pt` over TCP, the one-sided component it picks
    /// between hosts.
    Rma,
    /// A transfer over 2 GiB between two "nodes", in a job of its own.
    Large,
    /// The `.npy` cases with positioned I/O instead of the mapping.
    Io,
    /// NumPy and gain read each other's files (needs python3 with numpy).
    NumpyInterop,
    /// Two threads per rank (`GAIN_THREADS=2`).
    Threads,
    /// A malformed `GAIN_MAX_TRANSFER_BYTES`.
    BadTransferCap,
    /// The remote path on the multi-host bed (`GAIN_TEST_HOSTS`).
    Hosts,
    /// The bed with Open MPI's `osc/rdma`, which cannot create a window
    /// across hosts over TCP.
    HostsOscRdma,
}

/// One case: its name (its function's), its body, and its tags.
pub struct Case {
    pub name: &'static str,
    pub body: fn(&Runtime),
    pub tags: &'static [Tag],
}

/// A [`Case`] named after its function, from one token sequence so that
/// name and body cannot differ: `case!(errors; Light)` is the case
/// `errors`, and a generic function at one element type,
/// `case!(roundtrip::<i64>; Light, Rma)`, is the case `roundtrip_i64`.
macro_rules! case {
    ($f:ident :: < $t:ident >; $($tag:ident),+ $(,)?) => {
        $crate::registry::Case {
            name: concat!(stringify!($f), "_", stringify!($t)),
            body: $f::<$t>,
            tags: &[$($crate::registry::Tag::$tag),+],
        }
    };
    ($f:ident; $($tag:ident),+ $(,)?) => {
        $crate::registry::Case {
            name: stringify!($f),
            body: $f,
            tags: &[$($crate::registry::Tag::$tag),+],
        }
    };
}
pub(crate) use case;

/// Every file's cases, file by file.
pub fn all() -> impl Iterator<Item = &'static Case> {
    [
        crate::sections::CASES,
        crate::sections_strided::CASES,
        crate::rma::CASES,
        crate::views::CASES,
        crate::cases::CASES,
        crate::io::CASES,
        crate::mapped::CASES,
        crate::numeric::CASES,
        crate::numpy::CASES,
        crate::patch::CASES,
        crate::cluster::CASES,
        crate::bad_input::CASES,
        crate::replicated::CASES,
        crate::threads::CASES,
        crate::nonblocking::CASES,
        crate::ghosts::CASES,
        crate::elements::CASES,
        crate::collectives::CASES,
        crate::mutexes::CASES,
    ]
    .into_iter()
    .flatten()
}

/// The case named `name`.
pub fn find(name: &str) -> Option<&'static Case> {
    all().find(|c| c.name == name)
}

/// The names of the cases tagged `tag`, in declaration order.
pub fn tagged(tag: Tag) -> Vec<&'static str> {
    all()
        .filter(|c| c.tags.contains(&tag))
        .map(|c| c.name)
        .collect()
}

/// Panics, naming them, if two cases share a name, if a case has no tag
/// that one of the configurations (`selecting`: each one's tag, across
/// every MPI library and bed) selects, so that no configuration would run
/// it, or if a configuration's tag selects no case.
pub fn check(selecting: &[Tag]) {
    let mut problems = Vec::new();
    let names: Vec<&str> = all().map(|c| c.name).collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            problems.push(format!("two cases are named {name}"));
        }
    }
    for case in all() {
        if !case.tags.iter().any(|t| selecting.contains(t)) {
            problems.push(format!(
                "case {} ({:?}) is in no configuration",
                case.name, case.tags
            ));
        }
    }
    for tag in selecting {
        if tagged(*tag).is_empty() {
            problems.push(format!(
                "a configuration runs the cases tagged {tag:?}, and there are none"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the case registry: {}",
        problems.join("; ")
    );
}
