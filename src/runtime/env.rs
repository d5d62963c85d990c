//! The runtime's environment: the `GAIN_*` variables `init` reads, and the
//! Open MPI settings it derives from the launcher's. Every rank reads the
//! same environment, so every rank returns the same error for a malformed
//! variable, before any collective that could hang.

use std::time::Duration;

use mpi::environment::Threading;

use crate::error::{Error, ErrorKind, Result};

/// The thread level `init` asks MPI for: `GAIN_THREAD_LEVEL` (`multiple`
/// or `funneled`), else an `InvalidArgument` error before MPI starts
/// (every rank reads the same environment). Unset, it is `multiple`,
/// except in an Open MPI job that spans hosts with `osc/ucx` left out
/// (see [`pt2pt_across_hosts`]): there `osc/pt2pt` carries the windows,
/// and it refuses `MULTIPLE`.
pub(super) fn thread_level_from_env() -> Result<Threading> {
    let var = |k: &str| std::env::var(k).ok();
    match var("GAIN_THREAD_LEVEL").as_deref() {
        None | Some("") if pt2pt_across_hosts(var) => Ok(Threading::Funneled),
        None | Some("") | Some("multiple") => Ok(Threading::Multiple),
        Some("funneled") => Ok(Threading::Funneled),
        Some(v) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("GAIN_THREAD_LEVEL must be multiple or funneled, not {v:?}"),
        )),
    }
}

/// `GAIN_PROGRESS`: when a rank runs a progress thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum ProgressMode {
    /// When the job spans nodes and MPI provides `MPI_THREAD_MULTIPLE`.
    Auto,
    /// Always (an error below `MPI_THREAD_MULTIPLE`).
    On,
    /// Never.
    Off,
}

/// Default `GAIN_PROGRESS_US`: a call into a computing rank waits about
/// half of it per round trip its MPI needs, at the cost of one wake-up
/// and one `MPI_Iprobe` per interval.
const PROGRESS_US: u64 = 100;

/// `GAIN_PROGRESS` (`auto`, `on`, `off`) and `GAIN_PROGRESS_US`, else an
/// `InvalidArgument` error (every rank reads the same environment).
pub(super) fn progress_from_env() -> Result<(ProgressMode, Duration)> {
    let mode = match std::env::var("GAIN_PROGRESS").as_deref() {
        Err(_) | Ok("") | Ok("auto") => ProgressMode::Auto,
        Ok("on") => ProgressMode::On,
        Ok("off") => ProgressMode::Off,
        Ok(v) => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("GAIN_PROGRESS must be auto, on or off, not {v:?}"),
            ));
        }
    };
    let us = match std::env::var("GAIN_PROGRESS_US").as_deref() {
        Err(_) | Ok("") => PROGRESS_US,
        Ok(v) => v.parse::<u64>().map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("GAIN_PROGRESS_US must be a whole number of microseconds, not {v:?}"),
            )
        })?,
    };
    Ok((mode, Duration::from_micros(us)))
}

/// The one-sided components `init` gives Open MPI in a job that spans
/// hosts when the user chose none (`OMPI_MCA_osc` unset): `sm,ucx`.
/// Debian's Open MPI 4.1 leaves out `osc/ucx` and `osc/pt2pt` in its
/// system configuration, so it would pick `osc/rdma`, which has no
/// transport over TCP and cannot create a window spanning hosts; `osc/ucx`
/// can, over any network UCX reaches, and allows `MPI_THREAD_MULTIPLE`
/// (and so the progress thread). `None` on one host, under another
/// launcher, or when the user set the components.
pub(super) fn osc_across_hosts(var: impl Fn(&str) -> Option<String>) -> Option<&'static str> {
    let num = |k: &str| var(k).and_then(|v| v.trim().parse::<usize>().ok());
    let spans = matches!(
        (num("OMPI_COMM_WORLD_LOCAL_SIZE"), num("OMPI_COMM_WORLD_SIZE")),
        (Some(local), Some(all)) if local < all
    );
    (spans && var("OMPI_MCA_osc").is_none()).then_some("sm,ucx")
}

/// Whether the environment Open MPI's launcher gave this rank (`var`
/// reads it) says the job spans hosts (`OMPI_COMM_WORLD_LOCAL_SIZE` below
/// `OMPI_COMM_WORLD_SIZE`) and leaves `osc/ucx` out of the one-sided
/// components (`OMPI_MCA_osc`, which `--mca osc ...` sets: `^ucx`, or a
/// list without `ucx`), so that `osc/pt2pt` will carry the world window.
pub(super) fn pt2pt_across_hosts(var: impl Fn(&str) -> Option<String>) -> bool {
    let num = |k: &str| var(k).and_then(|v| v.trim().parse::<usize>().ok());
    let spans = matches!(
        (num("OMPI_COMM_WORLD_LOCAL_SIZE"), num("OMPI_COMM_WORLD_SIZE")),
        (Some(local), Some(all)) if local < all
    );
    spans && osc_without_ucx(var)
}

/// Whether `OMPI_MCA_osc` (read by `var`) leaves `osc/ucx` out of the
/// one-sided components (`^ucx`, or a list without `ucx`), so that windows
/// between nodes go through `osc/pt2pt`.
pub(super) fn osc_without_ucx(var: impl Fn(&str) -> Option<String>) -> bool {
    let Some(osc) = var("OMPI_MCA_osc") else {
        return false;
    };
    let (exclude, list) = match osc.trim().strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, osc.trim()),
    };
    let names_ucx = list.split(',').any(|c| c.trim() == "ucx");
    exclude == names_ucx
}

/// `GAIN_RANKS_PER_NODE`, when set: a positive integer, or an
/// `InvalidArgument` error.
pub(super) fn ranks_per_node() -> Result<Option<usize>> {
    positive_env("GAIN_RANKS_PER_NODE")
}

/// A `GAIN_*` variable holding a positive integer: `None` when unset or
/// empty, an `InvalidArgument` error naming it when malformed (the same on
/// every rank, which all read the same environment).
pub(crate) fn positive_env(name: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("{name} must be a positive integer, not {v:?}"),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{osc_across_hosts, pt2pt_across_hosts};

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
    }

    #[test]
    fn pt2pt_when_spanning_hosts_without_ucx() {
        let across = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"),
            ("OMPI_COMM_WORLD_SIZE", "4"),
        ];
        let with = |osc: &str| {
            let mut e = across.to_vec();
            e.push(("OMPI_MCA_osc", osc));
            pt2pt_across_hosts(env(&e))
        };
        assert!(with("^ucx"));
        assert!(with("^rdma,ucx"));
        assert!(with("sm,pt2pt"));
        assert!(with("pt2pt"));
        assert!(!with("ucx"));
        assert!(!with("sm,ucx,pt2pt"));
        assert!(!with("^rdma"));
        // osc left unset: gain::init sets sm,ucx before reading it.
        assert!(!pt2pt_across_hosts(env(&across)));
        // One host, or not Open MPI's launcher.
        let one = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "4"),
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_MCA_osc", "^ucx"),
        ];
        assert!(!pt2pt_across_hosts(env(&one)));
        assert!(!pt2pt_across_hosts(env(&[("OMPI_MCA_osc", "^ucx")])));
    }

    #[test]
    fn osc_ucx_across_hosts_unless_chosen() {
        let across = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "1"),
            ("OMPI_COMM_WORLD_SIZE", "2"),
        ];
        assert_eq!(osc_across_hosts(env(&across)), Some("sm,ucx"));
        // The user's choice stands, whatever it is.
        let mut chosen = across.to_vec();
        chosen.push(("OMPI_MCA_osc", "sm,pt2pt"));
        assert_eq!(osc_across_hosts(env(&chosen)), None);
        // One host, or not Open MPI's launcher (MPICH's hydra sets none).
        let one = [
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"),
            ("OMPI_COMM_WORLD_SIZE", "2"),
        ];
        assert_eq!(osc_across_hosts(env(&one)), None);
        assert_eq!(osc_across_hosts(env(&[("PMI_SIZE", "2")])), None);
        // What gain sets, pt2pt_across_hosts reads as osc/ucx kept.
        let mut set = across.to_vec();
        set.push(("OMPI_MCA_osc", "sm,ucx"));
        assert!(!pt2pt_across_hosts(env(&set)));
    }
}
