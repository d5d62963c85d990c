//! Property tests of the distribution math against brute force.

use super::*;
use crate::ErrorKind;

/// The property tests' generator.
type Rng = crate::random::SplitMix64;

fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let mut idx = vec![0; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

fn random_dist(rng: &mut Rng) -> Distribution {
    let ndim = 1 + rng.below(4);
    let shape: Vec<usize> = (0..ndim).map(|_| 1 + rng.below(9)).collect();
    let nranks = 1 + rng.below(12);
    match rng.below(3) {
        0 => Distribution::regular(&shape, nranks, None).unwrap(),
        1 => {
            let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 2)).collect();
            Distribution::regular(&shape, nranks, Some(&chunk)).unwrap()
        }
        _ => loop {
            let starts: Vec<Vec<usize>> = shape
                .iter()
                .map(|&n| {
                    let mut s: Vec<usize> = (1..n).filter(|_| rng.below(3) == 0).collect();
                    s.insert(0, 0);
                    s
                })
                .collect();
            if let Ok(d) = Distribution::irregular(&shape, nranks.max(4) * 4, &starts) {
                break d;
            }
        },
    }
}

#[test]
fn blocks_partition_the_array_and_owner_agrees() {
    let mut rng = Rng::new(1);
    for _ in 0..400 {
        let d = random_dist(&mut rng);
        let mut count = 0;
        for_each_index(d.shape(), |idx| {
            let owners: Vec<usize> = (0..d.nranks())
                .filter(|&r| d.block(r).is_some_and(|b| b.contains(idx)))
                .collect();
            assert_eq!(owners.len(), 1, "{d:?} index {idx:?}");
            assert_eq!(d.owner(idx).unwrap(), owners[0]);
            count += 1;
        });
        assert_eq!(count, d.shape().iter().product::<usize>());
        for r in 0..d.nranks() {
            if let Some(b) = d.block(r) {
                assert!(!b.is_empty(), "{d:?} rank {r} has an empty block");
            }
        }
    }
}

#[test]
fn locate_region_matches_brute_force() {
    let mut rng = Rng::new(2);
    for _ in 0..400 {
        let d = random_dist(&mut rng);
        let (lo, hi): (Vec<usize>, Vec<usize>) = d
            .shape()
            .iter()
            .map(|&n| {
                let a = rng.below(n + 1);
                let b = rng.below(n + 1);
                (a.min(b), a.max(b))
            })
            .unzip();
        let sec = Section::new(lo, hi).unwrap();
        let pieces = d.locate_region(&sec).unwrap();
        // Pieces are disjoint, inside their owner's block, and cover the section.
        let mut covered = 0;
        for (i, (r, p)) in pieces.iter().enumerate() {
            assert!(!p.is_empty());
            assert_eq!(d.block(*r).unwrap().intersect(p).as_ref(), Some(p));
            assert_eq!(sec.intersect(p).as_ref(), Some(p));
            for (_, q) in &pieces[i + 1..] {
                assert!(p.intersect(q).is_none());
            }
            covered += p.len();
        }
        assert_eq!(covered, sec.len());
        // Every owner of an element of the section appears exactly once.
        let mut owners = std::collections::BTreeSet::new();
        for_each_index(d.shape(), |idx| {
            if sec.contains(idx) {
                owners.insert(d.owner(idx).unwrap());
            }
        });
        let ranks: Vec<usize> = pieces.iter().map(|(r, _)| *r).collect();
        assert_eq!(ranks, owners.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn process_grid_uses_all_ranks_when_it_can() {
    assert_eq!(process_grid(4, &[100, 100], None), vec![2, 2]);
    assert_eq!(process_grid(6, &[100, 100, 100], None), vec![3, 2, 1]);
    assert_eq!(process_grid(7, &[100, 100], None), vec![7, 1]);
    assert_eq!(process_grid(8, &[2, 2], None), vec![2, 2]);
    assert_eq!(process_grid(5, &[2, 2], None), vec![2, 2]);
    assert_eq!(process_grid(3, &[1], None), vec![1]);
    assert_eq!(process_grid(4, &[100, 100], Some(&[60, 0])), vec![1, 4]);
    assert_eq!(process_grid(4, &[100, 100], Some(&[100, 100])), vec![1, 1]);
    // Balanced blocks: extents along a dimension differ by at most one.
    let d = Distribution::regular(&[10], 4, None).unwrap();
    assert_eq!(d.bounds(0), &[0, 3, 6, 8, 10]);
}

#[test]
fn bad_input_is_a_typed_error() {
    let kind = |r: Result<Distribution>| r.unwrap_err().kind();
    assert_eq!(
        kind(Distribution::regular(&[], 2, None)),
        ErrorKind::DimensionMismatch
    );
    assert_eq!(
        kind(Distribution::regular(&[usize::MAX, 2], 2, None)),
        ErrorKind::SizeOverflow
    );
    assert_eq!(
        kind(Distribution::regular(&[4], 2, Some(&[1, 1]))),
        ErrorKind::InvalidDistribution
    );
    assert_eq!(
        kind(Distribution::regular(&[4], 0, None)),
        ErrorKind::InvalidDistribution
    );
    for starts in [
        vec![vec![1]],
        vec![vec![0, 0]],
        vec![vec![0, 4]],
        vec![vec![0, 3, 2]],
    ] {
        assert_eq!(
            kind(Distribution::irregular(&[4], 4, &starts)),
            ErrorKind::InvalidDistribution
        );
    }
    assert_eq!(
        kind(Distribution::irregular(&[4], 1, &[vec![0, 2]])),
        ErrorKind::InvalidDistribution
    );
    let d = Distribution::regular(&[4, 4], 2, None).unwrap();
    assert_eq!(d.owner(&[4, 0]).unwrap_err().kind(), ErrorKind::OutOfBounds);
    assert_eq!(
        d.owner(&[0]).unwrap_err().kind(),
        ErrorKind::DimensionMismatch
    );
    let e = d.locate_region(&Section::new(vec![3, 0], vec![2, 1]).unwrap());
    assert_eq!(e.unwrap_err().kind(), ErrorKind::ReversedSection);
}

/// Every unit-step `s![]` selection, with bounds from the start, from the
/// end or open, names the section ndarray's slicing selects (the indices
/// of an array of its own flat positions), or the error its bounds call
/// for: OutOfBounds past either end, ReversedSection where ndarray would
/// return an empty slice of a reversed range.
#[test]
fn slice_info_sections_match_ndarray() {
    use ndarray::{ArrayD, IxDyn, SliceInfo, SliceInfoElem};
    let mut rng = Rng::new(23);
    let mut outcomes = [0; 3]; // out of bounds, reversed, compared
    for _ in 0..400 {
        let nd = 1 + rng.below(4);
        let shape: Vec<usize> = (0..nd).map(|_| 1 + rng.below(6)).collect();
        let n = shape.iter().product::<usize>();
        let flat = ArrayD::from_shape_vec(IxDyn(&shape), (0..n).collect()).unwrap();
        let mut elems = Vec::new();
        let (mut inside, mut ordered) = (true, true);
        let mut lo_hi = Vec::new();
        for &len in &shape {
            let len = len as isize;
            let pick = |rng: &mut Rng| rng.below(2 * len as usize + 3) as isize - len - 1;
            let start = pick(&mut rng);
            let end = if rng.below(4) == 0 {
                None
            } else {
                Some(pick(&mut rng))
            };
            let abs = |i: isize| if i < 0 { i + len } else { i };
            let (a, b) = (abs(start), end.map_or(len, abs));
            inside &= (0..=len).contains(&a) && (0..=len).contains(&b);
            ordered &= a <= b;
            lo_hi.push((a, b));
            elems.push(SliceInfoElem::Slice {
                start,
                end,
                step: 1,
            });
        }
        let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems.clone()).unwrap();
        let got = info.into_section(&shape);
        if !inside {
            assert_eq!(got.unwrap_err().kind(), ErrorKind::OutOfBounds, "{elems:?}");
            outcomes[0] += 1;
            continue;
        }
        let s = got.unwrap();
        let checked = s.check_within(&shape);
        if !ordered {
            assert_eq!(checked.unwrap_err().kind(), ErrorKind::ReversedSection);
            outcomes[1] += 1;
            continue;
        }
        checked.unwrap();
        let want = flat.slice(elems.as_slice());
        let mut seen = Vec::new();
        if !s.is_empty() {
            for_each_index(&s.shape(), |i| {
                let at: Vec<usize> = i.iter().zip(s.lo()).map(|(i, l)| i + l).collect();
                seen.push(flat[IxDyn(&at)]);
            });
        }
        assert_eq!(seen, want.iter().copied().collect::<Vec<_>>(), "{elems:?}");
        assert_eq!(s.shape(), want.shape(), "{elems:?}");
        let expect: Vec<(isize, isize)> = s
            .lo()
            .iter()
            .zip(s.hi())
            .map(|(&l, &h)| (l as isize, h as isize))
            .collect();
        assert_eq!(expect, lo_hi);
        outcomes[2] += 1;
    }
    assert!(outcomes.iter().all(|&n| n >= 20), "outcomes {outcomes:?}");
}

#[test]
fn inclusive_ranges_become_sections() {
    use crate::dist::IntoSection;
    assert_eq!((2..=4).into_section(&[9]).unwrap(), Section::from(2..5));
    // An exhausted inclusive range is empty, not its last element.
    let mut r = 0..=3;
    r.by_ref().for_each(drop);
    assert!(r.into_section(&[9]).unwrap().is_empty());
    // A reversed one stays reversed, for the array's check to reject.
    #[allow(clippy::reversed_empty_ranges)] // reversed on purpose
    let reversed = (5..=3).into_section(&[9]).unwrap();
    assert_eq!(
        reversed.check_within(&[9]).unwrap_err().kind(),
        ErrorKind::ReversedSection
    );
    let e = (0..=usize::MAX).into_section(&[9]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfBounds);
    assert!(e.message().contains("inclusive end"), "{}", e.message());
}

/// Zero-length axes, as NumPy allows: a distribution with no blocks that
/// every rank count, chunk hint and block map accepts; nobody owns
/// anything, every index is out of bounds, only empty sections exist.
#[test]
fn zero_length_axes_have_no_blocks() {
    for shape in [vec![0], vec![0, 5], vec![5, 0], vec![3, 0, 4]] {
        let zeros: Vec<usize> = shape.iter().map(|&n| usize::from(n > 0)).collect();
        for nranks in 1..=5 {
            let chunk = vec![2; shape.len()];
            for d in [
                Distribution::regular(&shape, nranks, None).unwrap(),
                Distribution::regular(&shape, nranks, Some(&chunk)).unwrap(),
            ] {
                assert_eq!(d.shape(), &shape[..]);
                assert_eq!(d.grid(), &zeros[..], "{shape:?} on {nranks}");
                assert!((0..nranks + 1).all(|r| d.block(r).is_none()));
                for (k, &n) in shape.iter().enumerate() {
                    let want: &[usize] = if n == 0 { &[0] } else { &[0, n] };
                    assert_eq!(d.bounds(k), want);
                }
                let index = vec![0; shape.len()];
                assert_eq!(d.owner(&index).unwrap_err().kind(), ErrorKind::OutOfBounds);
                assert_eq!(d.locate_region(&Section::full(&shape)).unwrap(), vec![]);
                let past: Vec<usize> = shape.iter().map(|&n| n + 1).collect();
                let too_big = Section::new(vec![0; shape.len()], past).unwrap();
                assert_eq!(
                    d.locate_region(&too_big).unwrap_err().kind(),
                    ErrorKind::OutOfBounds
                );
            }
        }
    }
    // Block maps: a zero-length axis takes [] or [0]; the other axes' maps
    // are still checked.
    let d = Distribution::irregular(&[0, 6], 3, &[vec![], vec![0, 2, 4]]).unwrap();
    assert_eq!(d, Distribution::regular(&[0, 6], 3, None).unwrap());
    assert!(Distribution::irregular(&[0, 6], 3, &[vec![0], vec![0]]).is_ok());
    let kind = |r: Result<Distribution>| r.unwrap_err().kind();
    assert_eq!(
        kind(Distribution::irregular(&[0, 6], 3, &[vec![0, 1], vec![0]])),
        ErrorKind::InvalidDistribution
    );
    assert_eq!(
        kind(Distribution::irregular(&[0, 6], 3, &[vec![0], vec![0, 7]])),
        ErrorKind::InvalidDistribution
    );
    assert_eq!(
        kind(Distribution::regular(&[0, 6], 0, None)),
        ErrorKind::InvalidDistribution
    );
    assert_eq!(
        kind(Distribution::regular(&[0, 6], 2, Some(&[1]))),
        ErrorKind::InvalidDistribution
    );
}

#[test]
fn c_order_runs_cover_the_section_in_order() {
    let mut rng = Rng::new(31);
    for _ in 0..400 {
        let d = random_dist(&mut rng);
        let shape = d.shape().to_vec();
        for r in 0..d.nranks() {
            let Some(block) = d.block(r) else { continue };
            let (run, starts) = block.c_order_runs(&shape);
            // Brute force: the flat C-order offsets of the block's elements,
            // in the block's own C order.
            let mut want = Vec::new();
            for_each_index(&block.shape(), |i| {
                let mut at = 0;
                for (dim, &x) in i.iter().enumerate() {
                    at = at * shape[dim] + block.lo()[dim] + x;
                }
                want.push(at);
            });
            let got: Vec<usize> = starts.iter().flat_map(|&s| s..s + run).collect();
            assert_eq!(got, want, "block {block:?} of {shape:?}");
        }
    }
    let whole = Section::full(&[3, 4]);
    assert_eq!(whole.c_order_runs(&[3, 4]), (12, vec![0]));
    assert_eq!(Section::full(&[]).c_order_runs(&[]), (1, vec![0]));
    assert_eq!(
        Section::from([0..2, 1..1]).c_order_runs(&[2, 3]).1,
        Vec::<usize>::new()
    );
}
