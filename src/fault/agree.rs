//! Agreements among the ranks of a runtime on a collective call: that
//! every rank passed valid and equal arguments, that a step succeeded
//! everywhere, and what a step one rank took came to. Each is one small
//! collective when all is well; the ranks' texts travel only when
//! something is wrong, so that every rank returns an error naming the
//! rank and the value at fault instead of some ranks entering a
//! collective the others skip.

use std::hash::{DefaultHasher, Hash, Hasher};

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use crate::error::{Error, ErrorKind, Result};

/// Collective agreement on a call's arguments: every rank passes its
/// own validation result and its arguments, named and rendered as text.
/// All ranks return an error when any rank's validation failed (naming
/// that rank and its error) or the arguments differ (naming the first
/// argument that differs and each rank's value), so no rank enters an
/// allocation the others skip. A correct call costs one small
/// allreduce; the texts travel only when something is wrong.
pub(crate) fn agree_arguments(
    world: &SimpleCommunicator,
    local: Result<&[(&str, String)]>,
) -> Result<()> {
    let (failed, h) = match &local {
        Ok(args) => {
            let mut h = DefaultHasher::new();
            args.hash(&mut h);
            (0u64, h.finish())
        }
        Err(_) => (1, 0),
    };
    let send = [failed, h, !h];
    let mut recv = [0u64; 3];
    world.all_reduce_into(&send[..], &mut recv[..], SystemOperation::max());
    super::completed();
    if recv[0] == 0 && recv[1] == !recv[2] {
        return Ok(());
    }
    // Something is wrong on some rank: every rank knows it, so every
    // rank takes part in telling what.
    let text = match &local {
        Ok(args) => {
            let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}\u{1f}{v}")).collect();
            format!("A{}", args.join("\u{1e}"))
        }
        Err(e) => format!("E{e}"),
    };
    let texts = all_gather_text(world, &text);
    let local = local?;
    if recv[0] != 0 {
        let bad = (0..world.size() as usize)
            .find(|&r| texts[r].0)
            .unwrap_or(0);
        return Err(Error::new(
            ErrorKind::InconsistentArguments,
            format!("rank {bad} rejected its arguments: {}", texts[bad].1),
        ));
    }
    let value = |r: usize, name: &str| -> String {
        texts[r]
            .1
            .split('\u{1e}')
            .filter_map(|kv| kv.split_once('\u{1f}'))
            .find(|(k, _)| *k == name)
            .map_or("(missing)".to_string(), |(_, v)| v.to_string())
    };
    let me = world.rank() as usize;
    let differing = local
        .iter()
        .map(|(k, _)| *k)
        .find(|k| (0..world.size() as usize).any(|r| value(r, k) != value(me, k)));
    let Some(name) = differing else {
        return Err(Error::new(
            ErrorKind::InconsistentArguments,
            "ranks passed different arguments to a collective call",
        ));
    };
    let mut values: Vec<String> = Vec::new();
    for r in 0..world.size() as usize {
        let v = value(r, name);
        if values.len() < 8 {
            values.push(format!("rank {r}: {v}"));
        }
    }
    Err(Error::new(
        ErrorKind::InconsistentArguments,
        format!(
            "ranks passed different {name} to a collective call ({})",
            values.join("; ")
        ),
    ))
}

/// Collective: whether a step every rank took succeeded everywhere. All
/// ranks return an error when any rank's `local` failed: that rank its
/// own, the others one of `kind` with the first failed rank's error
/// (which names that rank). Costs one small allreduce when every rank succeeded.
pub(crate) fn agree_success(
    world: &SimpleCommunicator,
    local: Result<()>,
    kind: ErrorKind,
) -> Result<()> {
    let failed = local.is_err() as u64;
    let mut any = 0u64;
    world.all_reduce_into(&failed, &mut any, SystemOperation::max());
    super::completed();
    if any == 0 {
        return Ok(());
    }
    let text = match &local {
        Ok(()) => "A".to_string(),
        Err(e) => format!("E{e}"),
    };
    let texts = all_gather_text(world, &text);
    local?;
    let bad = (0..world.size() as usize)
        .find(|&r| texts[r].0)
        .unwrap_or(0);
    // The text is the error's display, which names its rank.
    Err(Error::new(
        kind,
        format!("another rank failed: {}", texts[bad].1),
    ))
}

/// Collective: the outcome of a step only `root` took (a text, or an
/// error), on every rank. The others' `local` is ignored; they return
/// root's text, or an error of `kind` with root's message.
pub(crate) fn share_outcome(
    world: &SimpleCommunicator,
    root: usize,
    local: Result<String>,
    kind: ErrorKind,
) -> Result<String> {
    let is_root = world.rank() as usize == root;
    let text = match (&local, is_root) {
        (Ok(t), true) => format!("A{t}"),
        (Err(e), true) => format!("E{e}"),
        (_, false) => String::new(),
    };
    // Two broadcasts from root (its length, then its text): O(log P)
    // messages and no per-rank table, whatever the rank count.
    let from = world.process_at_rank(root as i32);
    let mut len = text.len() as u64;
    from.broadcast_into(&mut len);
    let mut bytes = if is_root {
        text.into_bytes()
    } else {
        vec![0u8; len as usize]
    };
    from.broadcast_into(&mut bytes[..]);
    let text = String::from_utf8_lossy(&bytes);
    let failed = text.starts_with('E');
    let text = text.get(1..).unwrap_or("").to_string();
    super::completed();
    match (world.rank() as usize == root, failed) {
        (true, _) => local,
        (false, false) => Ok(text),
        (false, true) => Err(Error::new(kind, format!("rank {root} failed: {text}"))),
    }
}

/// Collective: every rank's `text` (`A` and its arguments, or `E` and
/// its error), as whether it is an error and the rest, by rank.
fn all_gather_text(world: &SimpleCommunicator, text: &str) -> Vec<(bool, String)> {
    let n = world.size() as usize;
    let bytes = text.as_bytes();
    let len = bytes.len() as i32;
    let mut lens = vec![0i32; n];
    world.all_gather_into(&len, &mut lens[..]);
    let displs: Vec<i32> = lens
        .iter()
        .scan(0, |at, &l| {
            let d = *at;
            *at += l;
            Some(d)
        })
        .collect();
    let mut all = vec![0u8; lens.iter().map(|&l| l as usize).sum()];
    {
        let mut part = mpi::datatype::PartitionMut::new(&mut all[..], &lens[..], &displs[..]);
        world.all_gather_varcount_into(bytes, &mut part);
    }
    (0..n)
        .map(|r| {
            let (d, l) = (displs[r] as usize, lens[r] as usize);
            let t = String::from_utf8_lossy(&all[d..d + l]).into_owned();
            (t.starts_with('E'), t.get(1..).unwrap_or("").to_string())
        })
        .collect()
}
