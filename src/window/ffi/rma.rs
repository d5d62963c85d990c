//! One-sided data movement: `MPI_Get`, `MPI_Put` and `MPI_Accumulate`
//! with derived datatypes, their request-based forms, and
//! `MPI_Fetch_and_op`.

use std::ffi::{c_int, c_void};

use mpi::ffi::{self as sys, MPI_Aint, MPI_Datatype, MPI_Request, MPI_Win};
use mpi::raw::AsRaw;

use super::super::transfer::Dim;
use crate::element::Element;
use crate::error::Result;

use super::{GAIN_MPI_REPLACE, GAIN_MPI_SUM, check, may_call_mpi, rma_turn, to_int};

/// A datatype describing one side of a transfer: `count` items of `ty`.
struct Described {
    ty: MPI_Datatype,
    count: c_int,
    derived: bool,
}

impl Described {
    /// Builds the type for `dims` with the strides `stride(dim)` (elements).
    fn new<T: Element>(dims: &[Dim], stride: fn(&Dim) -> isize) -> Result<Self> {
        let base = T::equivalent_datatype().as_raw();
        let elem = size_of::<T>() as MPI_Aint;
        if let [d] = dims
            && stride(d) == 1
        {
            return Ok(Described {
                ty: base,
                count: to_int(d.n, "transfer count")?,
                derived: false,
            });
        }
        let mut ty = base;
        for (i, d) in dims.iter().rev().enumerate() {
            let mut next = base;
            let n = to_int(d.n, "transfer extent")?;
            // SAFETY: `ty` is a valid datatype; `next` is an out-parameter.
            unsafe {
                if i == 0 && stride(d) == 1 {
                    check(
                        sys::MPI_Type_contiguous(n, ty, &mut next),
                        "MPI_Type_contiguous",
                    )?;
                } else {
                    check(
                        sys::MPI_Type_create_hvector(
                            n,
                            1,
                            stride(d) as MPI_Aint * elem,
                            ty,
                            &mut next,
                        ),
                        "MPI_Type_create_hvector",
                    )?;
                }
                if i > 0 {
                    check(sys::MPI_Type_free(&mut ty), "MPI_Type_free")?;
                }
            }
            ty = next;
        }
        // SAFETY: `ty` is a newly created datatype.
        check(unsafe { sys::MPI_Type_commit(&mut ty) }, "MPI_Type_commit")?;
        Ok(Described {
            ty,
            count: 1,
            derived: true,
        })
    }

    /// Frees a derived type; pending operations that use it still complete
    /// (Standard section 5.1.5).
    fn free(mut self) -> Result<()> {
        if self.derived {
            // SAFETY: `ty` was created and committed by `new`.
            check(unsafe { sys::MPI_Type_free(&mut self.ty) }, "MPI_Type_free")?;
        }
        Ok(())
    }
}

/// The RMA calls `rma` can issue.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rma {
    Get,
    Put,
    AccumulateSum,
    /// `MPI_Accumulate` with `MPI_REPLACE`: a put that MPI orders after
    /// the origin's earlier accumulates to the same place.
    AccumulateReplace,
}

impl Rma {
    /// The MPI function's name, for error messages: the request-based
    /// form's when `request`.
    fn call(self, request: bool) -> &'static str {
        match (self, request) {
            (Rma::Get, false) => "MPI_Get",
            (Rma::Put, false) => "MPI_Put",
            (Rma::AccumulateSum | Rma::AccumulateReplace, false) => "MPI_Accumulate",
            (Rma::Get, true) => "MPI_Rget",
            (Rma::Put, true) => "MPI_Rput",
            (Rma::AccumulateSum | Rma::AccumulateReplace, true) => "MPI_Raccumulate",
        }
    }
}

/// Issues one RMA call moving the box `dims` between `origin` and byte
/// displacement `disp` of `rank`'s segment in `win`. Completion is the
/// caller's job (`flush_local`, `flush_all`).
///
/// # Safety
/// `origin` plus every offset the origin strides of `dims` reach must be
/// inside one live allocation of `T`, writable for `Rma::Get`, and stay so
/// until the operation is completed.
pub(crate) unsafe fn rma<T: Element>(
    op: Rma,
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    origin: *const T,
    dims: &[Dim],
) -> Result<()> {
    // SAFETY: the caller's contract, passed on.
    unsafe { rma_into(op, win, rank, disp, origin, dims, None) }
}

/// [`rma`] as a request-based call (`MPI_Rget`, `MPI_Rput`,
/// `MPI_Raccumulate`, Standard section 11.3.5): the request it returns
/// completes when the operation has completed locally (the origin buffer
/// may be reused, or for a get holds the data), tested and waited with
/// [`Requests`](super::Requests). Valid in the passive-target epoch every
/// window keeps (`MPI_Win_lock_all`).
///
/// # Safety
/// As [`rma`], until the request has completed (or a flush covering the
/// operation has returned).
pub(crate) unsafe fn rma_request<T: Element>(
    op: Rma,
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    origin: *const T,
    dims: &[Dim],
) -> Result<MPI_Request> {
    // SAFETY: reading a constant initialised at load time.
    let mut request = unsafe { sys::RSMPI_REQUEST_NULL };
    // SAFETY: the caller's contract, passed on.
    unsafe { rma_into(op, win, rank, disp, origin, dims, Some(&mut request))? };
    Ok(request)
}

/// The call behind [`rma`] (`request` `None`) and [`rma_request`].
///
/// # Safety
/// As [`rma`].
unsafe fn rma_into<T: Element>(
    op: Rma,
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    origin: *const T,
    dims: &[Dim],
    request: Option<&mut MPI_Request>,
) -> Result<()> {
    may_call_mpi(op.call(request.is_some()))?;
    let rank = to_int(rank, "rank")?;
    let o = Described::new::<T>(dims, |d| d.origin_stride)?;
    let t = match Described::new::<T>(dims, |d| d.target_stride) {
        Ok(t) => t,
        Err(e) => {
            o.free()?;
            return Err(e);
        }
    };
    let named = op.call(request.is_some());
    let _one_at_a_time = rma_turn();
    // SAFETY: the caller guarantees the origin memory; the target
    // displacement lies inside the segment because the box was derived
    // from the owner's block shape; `request` is a valid out-parameter.
    let code = unsafe {
        let (oc, ot, tc, tt) = (o.count, o.ty, t.count, t.ty);
        let (get_at, put_at) = (origin as *mut c_void, origin as *const c_void);
        match (op, request) {
            (Rma::Get, None) => sys::MPI_Get(get_at, oc, ot, rank, disp, tc, tt, win),
            (Rma::Put, None) => sys::MPI_Put(put_at, oc, ot, rank, disp, tc, tt, win),
            (Rma::AccumulateSum, None) => {
                sys::MPI_Accumulate(put_at, oc, ot, rank, disp, tc, tt, GAIN_MPI_SUM, win)
            }
            (Rma::AccumulateReplace, None) => {
                sys::MPI_Accumulate(put_at, oc, ot, rank, disp, tc, tt, GAIN_MPI_REPLACE, win)
            }
            (Rma::Get, Some(r)) => sys::MPI_Rget(get_at, oc, ot, rank, disp, tc, tt, win, r),
            (Rma::Put, Some(r)) => sys::MPI_Rput(put_at, oc, ot, rank, disp, tc, tt, win, r),
            (Rma::AccumulateSum, Some(r)) => {
                sys::MPI_Raccumulate(put_at, oc, ot, rank, disp, tc, tt, GAIN_MPI_SUM, win, r)
            }
            (Rma::AccumulateReplace, Some(r)) => {
                sys::MPI_Raccumulate(put_at, oc, ot, rank, disp, tc, tt, GAIN_MPI_REPLACE, win, r)
            }
        }
    };
    let freed = o.free().and(t.free());
    check(code, named)?;
    freed
}

/// `MPI_Fetch_and_op(MPI_SUM)` followed by `MPI_Win_flush`: atomically adds
/// `inc` at byte displacement `disp` of `rank`'s segment, returns the old
/// value. Elements of one or two bytes go through the equivalent
/// `MPI_Get_accumulate` of one element instead: Open MPI 4.1's `osc/ucx`
/// hands those to UCX atomics, which have only 32- and 64-bit forms, and
/// its `MPI_Fetch_and_op` then returns success having done nothing (UCX
/// logs "invalid atomic operation datatype"). Both are accumulate
/// operations, atomic with each other and with `MPI_Accumulate`.
pub(crate) fn fetch_and_add<T: Element>(
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    inc: T,
) -> Result<T> {
    may_call_mpi("MPI_Fetch_and_op")?;
    let mut old = T::zero();
    let rank = to_int(rank, "rank")?;
    let ty = T::equivalent_datatype().as_raw();
    let inc_ptr = (&inc) as *const T as *const c_void;
    let old_ptr = (&mut old) as *mut T as *mut c_void;
    let _one_at_a_time = rma_turn();
    // SAFETY: `inc` and `old` are one `T` each of datatype `ty` and live
    // across the flush that completes the call.
    unsafe {
        if std::mem::size_of::<T>() < 4 {
            check(
                sys::MPI_Get_accumulate(
                    inc_ptr,
                    1,
                    ty,
                    old_ptr,
                    1,
                    ty,
                    rank,
                    disp,
                    1,
                    ty,
                    GAIN_MPI_SUM,
                    win,
                ),
                "MPI_Get_accumulate",
            )?;
        } else {
            check(
                sys::MPI_Fetch_and_op(inc_ptr, old_ptr, ty, rank, disp, GAIN_MPI_SUM, win),
                "MPI_Fetch_and_op",
            )?;
        }
        check(sys::MPI_Win_flush(rank, win), "MPI_Win_flush")?;
    }
    Ok(old)
}

/// Issues one RMA call between `rel.len()` contiguous elements at `origin`
/// and as many single elements of `rank`'s segment in `win`, at byte
/// displacements `disp + rel[i]`: the target side is one
/// `MPI_Type_create_hindexed_block` of blocks of one element (Standard
/// section 5.1.2), the origin side a contiguous count. The scattered
/// elements of an element gather or scatter reach their owner in one
/// call. Completion is the caller's job (`flush_local`, `complete_gets`).
///
/// `rel` must not name one element twice (MPI forbids overlapping target
/// entries for puts and accumulates); `rel[0]` is normally 0 and the rest
/// ascending, which MPI does not require but keeps the type's lower bound
/// at `disp`.
///
/// # Safety
/// `origin` must point to `rel.len()` live elements of `T`, writable for
/// `Rma::Get`, that stay valid until the operation is completed; every
/// displacement must name an element inside `rank`'s block.
pub(crate) unsafe fn rma_indexed<T: Element>(
    op: Rma,
    win: MPI_Win,
    rank: usize,
    disp: MPI_Aint,
    rel: &[MPI_Aint],
    origin: *const T,
) -> Result<()> {
    may_call_mpi(op.call(false))?;
    let rank = to_int(rank, "rank")?;
    let count = to_int(rel.len(), "element count")?;
    let base = T::equivalent_datatype().as_raw();
    let target = if count == 1 {
        Described {
            ty: base,
            count: 1,
            derived: false,
        }
    } else {
        let mut ty = base;
        // SAFETY: `rel` holds `count` displacements; `ty` is an
        // out-parameter, committed before use.
        unsafe {
            check(
                sys::MPI_Type_create_hindexed_block(count, 1, rel.as_ptr(), base, &mut ty),
                "MPI_Type_create_hindexed_block",
            )?;
            if let Err(e) = check(sys::MPI_Type_commit(&mut ty), "MPI_Type_commit") {
                sys::MPI_Type_free(&mut ty);
                return Err(e);
            }
        }
        Described {
            ty,
            count: 1,
            derived: true,
        }
    };
    let _one_at_a_time = rma_turn();
    // SAFETY: the caller guarantees the origin memory and that the target
    // displacements lie inside the block.
    let code = unsafe {
        match op {
            Rma::Get => sys::MPI_Get(
                origin as *mut c_void,
                count,
                base,
                rank,
                disp,
                target.count,
                target.ty,
                win,
            ),
            Rma::Put => sys::MPI_Put(
                origin as *const c_void,
                count,
                base,
                rank,
                disp,
                target.count,
                target.ty,
                win,
            ),
            Rma::AccumulateSum | Rma::AccumulateReplace => sys::MPI_Accumulate(
                origin as *const c_void,
                count,
                base,
                rank,
                disp,
                target.count,
                target.ty,
                if op == Rma::AccumulateSum {
                    GAIN_MPI_SUM
                } else {
                    GAIN_MPI_REPLACE
                },
                win,
            ),
        }
    };
    let freed = target.free();
    check(code, op.call(false))?;
    freed
}
