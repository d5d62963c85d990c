//! Planning RMA transfers: strided boxes cut into pieces MPI can describe.
//!
//! MPI counts are `int`s, so one call moves at most `i32::MAX` items, and
//! datatypes beyond 2 GiB are poorly supported. A box is first simplified
//! (unit dimensions dropped, dimensions that are contiguous on both sides
//! merged), then cut along its outer dimensions into chunks of at most
//! `limit` elements, each described by one derived datatype per side.

/// One dimension of a transfer: extent and the strides (in elements) on the
/// origin and the target side. Not a box: it describes how one axis of a
/// box (a `Section` of a block) lies in memory on both sides, as an MPI
/// derived datatype needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dim {
    pub n: usize,
    pub origin_stride: isize,
    pub target_stride: isize,
}

/// A piece of a transfer: offsets in elements and dimensions, outer first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub origin_offset: isize,
    pub target_offset: isize,
    pub dims: Vec<Dim>,
}

impl Dim {
    /// A contiguous run of `n` elements on both sides.
    pub(crate) fn run(n: usize) -> Dim {
        Dim {
            n,
            origin_stride: 1,
            target_stride: 1,
        }
    }
}

/// The element count when a box of `shape` is one contiguous run both in
/// the origin (strides `origin_strides`) and in a row-major target block
/// of shape `block`; `None` otherwise. Allocation-free fast-path test.
pub(crate) fn contiguous_len(
    shape: &[usize],
    origin_strides: &[isize],
    block: &[usize],
) -> Option<usize> {
    let (mut run, mut target_stride) = (1usize, 1usize);
    for d in (0..shape.len()).rev() {
        if shape[d] != 1 {
            if origin_strides[d] != run as isize || target_stride != run {
                return None;
            }
            run *= shape[d];
        }
        target_stride *= block[d];
    }
    Some(run)
}

/// The largest transfer per MPI call, in bytes: 1 GiB, or
/// `GAIN_MAX_TRANSFER_BYTES` (a testing knob that exercises the splitting
/// with small arrays). Unset or empty means the default; anything but a
/// positive integer is an `InvalidArgument` error, as a bad
/// `GAIN_RANKS_PER_NODE` is, rather than silently testing nothing.
pub(crate) fn max_transfer_bytes() -> crate::Result<usize> {
    parse_max_transfer_bytes(std::env::var("GAIN_MAX_TRANSFER_BYTES").ok().as_deref())
}

/// [`max_transfer_bytes`] for the variable's value `v` (`None`: unset).
fn parse_max_transfer_bytes(v: Option<&str>) -> crate::Result<usize> {
    match v {
        None | Some("") => Ok(1 << 30),
        Some(v) => match v.parse::<usize>() {
            Ok(b) if b > 0 => Ok(b),
            _ => Err(crate::Error::new(
                crate::ErrorKind::InvalidArgument,
                format!("GAIN_MAX_TRANSFER_BYTES must be a positive integer, not {v:?}"),
            )),
        },
    }
}

/// Cuts a box of `shape` into chunks of at most `limit` elements.
/// Returns `None` when an origin stride is negative (the caller packs).
pub(crate) fn plan(
    shape: &[usize],
    origin_strides: &[isize],
    target_strides: &[isize],
    limit: usize,
) -> Option<Vec<Chunk>> {
    let limit = limit.clamp(1, i32::MAX as usize);
    let mut dims: Vec<Dim> = Vec::with_capacity(shape.len());
    for d in 0..shape.len() {
        if shape[d] == 0 {
            return Some(Vec::new());
        }
        if shape[d] == 1 {
            continue;
        }
        if origin_strides[d] < 0 {
            return None;
        }
        dims.push(Dim {
            n: shape[d],
            origin_stride: origin_strides[d],
            target_stride: target_strides[d],
        });
    }
    // Merge a dimension into the next inner one when both sides are
    // contiguous across the boundary.
    let mut merged: Vec<Dim> = Vec::with_capacity(dims.len());
    for dim in dims.into_iter().rev() {
        match merged.last_mut() {
            Some(inner)
                if dim.origin_stride == inner.origin_stride * inner.n as isize
                    && dim.target_stride == inner.target_stride * inner.n as isize =>
            {
                inner.n *= dim.n;
            }
            _ => merged.push(dim),
        }
    }
    merged.reverse();
    if merged.is_empty() {
        merged.push(Dim {
            n: 1,
            origin_stride: 1,
            target_stride: 1,
        });
    }
    let mut out = Vec::new();
    cut(&merged, 0, 0, limit, &mut out);
    Some(out)
}

fn cut(dims: &[Dim], o: isize, t: isize, limit: usize, out: &mut Vec<Chunk>) {
    let inner: usize = dims[1..].iter().map(|d| d.n).product();
    let outer = dims[0];
    if inner <= limit {
        let rows = (limit / inner).max(1);
        let mut i = 0;
        while i < outer.n {
            let n = rows.min(outer.n - i);
            let mut c = dims.to_vec();
            c[0].n = n;
            out.push(Chunk {
                origin_offset: o + i as isize * outer.origin_stride,
                target_offset: t + i as isize * outer.target_stride,
                dims: c,
            });
            i += n;
        }
    } else {
        for i in 0..outer.n {
            cut(
                &dims[1..],
                o + i as isize * outer.origin_stride,
                t + i as isize * outer.target_stride,
                limit,
                out,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elems(c: &Chunk) -> usize {
        c.dims.iter().map(|d| d.n).product()
    }

    #[test]
    fn contiguous_boxes_merge_to_one_run() {
        let p = plan(&[4, 8], &[8, 1], &[8, 1], 1 << 20).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].dims,
            vec![Dim {
                n: 32,
                origin_stride: 1,
                target_stride: 1
            }]
        );
        // A sub-box of a wider block stays two-dimensional on the target side.
        let p = plan(&[4, 8], &[8, 1], &[20, 1], 1 << 20).unwrap();
        assert_eq!(p[0].dims.len(), 2);
        // Unit dimensions vanish.
        let p = plan(&[1, 5, 1], &[5, 1, 1], &[50, 10, 1], 1 << 20).unwrap();
        assert_eq!(
            p[0].dims,
            vec![Dim {
                n: 5,
                origin_stride: 1,
                target_stride: 10
            }]
        );
    }

    #[test]
    fn chunks_respect_the_limit_and_cover_the_box() {
        for limit in [1, 3, 7, 16, 1000] {
            for shape in [vec![5, 6, 7], vec![100], vec![3, 1, 9]] {
                let os = super::super::copy::row_major_strides(&shape);
                let ts: Vec<isize> = os.iter().map(|s| s * 2).collect();
                let p = plan(&shape, &os, &ts, limit).unwrap();
                let mut seen = std::collections::BTreeSet::new();
                for c in &p {
                    assert!(elems(c) <= limit, "{c:?} over {limit}");
                    // Enumerate the chunk's origin offsets.
                    let mut idx = vec![0usize; c.dims.len()];
                    'outer: loop {
                        let o: isize = c.origin_offset
                            + idx
                                .iter()
                                .zip(&c.dims)
                                .map(|(&i, d)| i as isize * d.origin_stride)
                                .sum::<isize>();
                        let t: isize = c.target_offset
                            + idx
                                .iter()
                                .zip(&c.dims)
                                .map(|(&i, d)| i as isize * d.target_stride)
                                .sum::<isize>();
                        assert_eq!(t, 2 * o);
                        assert!(seen.insert(o));
                        let mut d = idx.len();
                        loop {
                            if d == 0 {
                                break 'outer;
                            }
                            d -= 1;
                            idx[d] += 1;
                            if idx[d] < c.dims[d].n {
                                break;
                            }
                            idx[d] = 0;
                        }
                    }
                }
                assert_eq!(seen.len(), shape.iter().product::<usize>());
            }
        }
    }

    #[test]
    fn negative_origin_strides_ask_for_packing() {
        assert!(plan(&[3, 2], &[-2, 1], &[2, 1], 100).is_none());
    }

    #[test]
    fn max_transfer_bytes_is_a_positive_integer_or_unset() {
        assert_eq!(parse_max_transfer_bytes(None), Ok(1 << 30));
        assert_eq!(parse_max_transfer_bytes(Some("")), Ok(1 << 30));
        assert_eq!(parse_max_transfer_bytes(Some("24")), Ok(24));
        for bad in ["abc", "0", "-5", "1.5", " 24"] {
            let e = parse_max_transfer_bytes(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad:?}");
            assert!(e.to_string().contains("GAIN_MAX_TRANSFER_BYTES"), "{e}");
        }
    }
}
