//! One `MPI_Allreduce` that carries a collective call's argument digest
//! and, when it fits, its data: a 64-byte packet of three `u64`s (reduced
//! by maximum: the agreement of `crate::fault::agree_digest`) and up to
//! 40 bytes of elements, reduced by a user-defined operation made per
//! element type and operator (Standard section 5.9.5, `MPI_Op_create`).
//! So `Runtime::all_reduce_value` and `broadcast_value` cost one small
//! allreduce instead of two collectives.
//!
//! Every rank passes the same datatype and count whatever its arguments,
//! so ranks that disagree still complete the call (each combines the
//! bytes with its own operation: the data are then meaningless, and the
//! digest tells every rank so).

use std::any::TypeId;
use std::ffi::{c_int, c_void};
use std::sync::{Mutex, OnceLock, PoisonError};

use mpi::ffi::{self as sys, MPI_Comm, MPI_Datatype, MPI_Op};
use mpi::raw::AsRaw;

use crate::element::Element;
use crate::error::Result;

use super::{GAIN_MPI_IN_PLACE, InMpi, check};

/// Bytes of data a packet carries after its three-word header.
pub(crate) const PACKET_DATA: usize = 40;

/// What the packet's data combine by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Combine {
    Sum,
    Prod,
    Max,
    Min,
    /// Bitwise or of the bytes: the root sends its data, the others
    /// zeros, and every rank gets the root's (a broadcast).
    Or,
}

/// The packet: the digest words, then the data.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct Packet {
    head: [u64; 3],
    data: [u8; PACKET_DATA],
}

/// `x op y` for the combination `C` (a [`Combine`] discriminant other
/// than `Or`). Integer arithmetic wraps; nothing here can panic.
#[inline(always)]
fn apply<T: Element, const C: u8>(x: T, y: T) -> T {
    match C {
        c if c == Combine::Sum as u8 => x.wrapping_add(y),
        c if c == Combine::Prod as u8 => x.wrapping_mul(y),
        c if c == Combine::Max as u8 => {
            if x > y {
                x
            } else {
                y
            }
        }
        _ => {
            if x < y {
                x
            } else {
                y
            }
        }
    }
}

/// The user function of `MPI_Op_create` over packets, for elements `T`
/// and `Combine` `C` (as its discriminant): `inout = in op inout`, packet
/// by packet: the header by maximum, the data bytes by `C`.
///
/// # Safety
/// MPI passes `len` packets at `inv` and `inout` (the datatype is the
/// packet, one contiguous 64-byte element).
unsafe extern "C" fn combine_packets<T: Element, const C: u8>(
    inv: *mut c_void,
    inout: *mut c_void,
    len: *mut c_int,
    _ty: *mut MPI_Datatype,
) {
    // SAFETY: see the function's contract; packets are 8-aligned copies
    // MPI made or the caller's, and elements are read and written
    // unaligned within the 40 data bytes (`size_of::<T>() <= 40`: the
    // caller's data fit).
    unsafe {
        for k in 0..(*len).max(0) as usize {
            let a = &*(inv as *const Packet).add(k);
            let b = &mut *(inout as *mut Packet).add(k);
            for i in 0..3 {
                b.head[i] = b.head[i].max(a.head[i]);
            }
            if C == Combine::Or as u8 {
                for i in 0..PACKET_DATA {
                    b.data[i] |= a.data[i];
                }
                continue;
            }
            let n = PACKET_DATA / size_of::<T>();
            let (pa, pb) = (a.data.as_ptr() as *const T, b.data.as_mut_ptr() as *mut T);
            for i in 0..n {
                let r = apply::<T, C>(pa.add(i).read_unaligned(), pb.add(i).read_unaligned());
                pb.add(i).write_unaligned(r);
            }
        }
    }
}

/// The user function of `MPI_Op_create` over elements `T`: `inout[i] =
/// in[i] op inout[i]` for the `len` elements MPI passes.
///
/// # Safety
/// MPI passes `len` elements of `T`'s datatype at `inv` and `inout`.
unsafe extern "C" fn combine_elements<T: Element, const C: u8>(
    inv: *mut c_void,
    inout: *mut c_void,
    len: *mut c_int,
    _ty: *mut MPI_Datatype,
) {
    // SAFETY: see the function's contract; read and written unaligned, as
    // MPI's own buffers carry no alignment promise.
    unsafe {
        let (pa, pb) = (inv as *const T, inout as *mut T);
        for i in 0..(*len).max(0) as usize {
            let r = apply::<T, C>(pa.add(i).read_unaligned(), pb.add(i).read_unaligned());
            pb.add(i).write_unaligned(r);
        }
    }
}

/// An MPI handle kept in a process-wide cache.
#[derive(Clone, Copy)]
struct Handles {
    op: MPI_Op,
    ty: MPI_Datatype,
}

// SAFETY: MPI handles are process-wide values that are never changed
// after creation and may be used from any thread under
// `MPI_THREAD_MULTIPLE` (the collectives that use them are called by one
// thread of a rank at a time); the cache of operations is behind a Mutex.
unsafe impl Send for Handles {}
// SAFETY: as for `Send`: shared handles are only read.
unsafe impl Sync for Handles {}

/// The operation for `T` and `c` over packets (with the packet datatype,
/// made once) or over `T`'s elements (with `T`'s datatype), made at first
/// use and kept until `MPI_Finalize`.
fn handles<T: Element>(c: Combine, packets: bool) -> Result<Handles> {
    static TYPE: OnceLock<std::result::Result<Handles, crate::Error>> = OnceLock::new();
    /// An operation's key: element type, combination, over packets.
    type Key = (TypeId, Combine, bool);
    static OPS: Mutex<Vec<(Key, Handles)>> = Mutex::new(Vec::new());
    let packet_ty = TYPE
        .get_or_init(|| {
            let byte = <u8 as mpi::datatype::Equivalence>::equivalent_datatype().as_raw();
            let mut ty = byte;
            // SAFETY: `ty` is a valid out-parameter; the new type is
            // committed before use and never freed (it lives until
            // MPI_Finalize).
            unsafe {
                check(
                    sys::MPI_Type_contiguous(size_of::<Packet>() as c_int, byte, &mut ty),
                    "MPI_Type_contiguous",
                )?;
                check(sys::MPI_Type_commit(&mut ty), "MPI_Type_commit")?;
            }
            Ok(Handles {
                // SAFETY: reading a constant initialised at load time.
                op: unsafe { sys::RSMPI_MAX },
                ty,
            })
        })
        .clone()?
        .ty;
    let ty = if packets {
        packet_ty
    } else {
        T::equivalent_datatype().as_raw()
    };
    let key = (TypeId::of::<T>(), c, packets);
    let mut ops = OPS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, h)) = ops.iter().find(|(k, _)| *k == key) {
        return Ok(*h);
    }
    type UserFn = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_int, *mut MPI_Datatype);
    let f: UserFn = match (c, packets) {
        (Combine::Sum, true) => combine_packets::<T, { Combine::Sum as u8 }>,
        (Combine::Prod, true) => combine_packets::<T, { Combine::Prod as u8 }>,
        (Combine::Max, true) => combine_packets::<T, { Combine::Max as u8 }>,
        (Combine::Min, true) => combine_packets::<T, { Combine::Min as u8 }>,
        (Combine::Or, true) => combine_packets::<T, { Combine::Or as u8 }>,
        (Combine::Sum, false) => combine_elements::<T, { Combine::Sum as u8 }>,
        (Combine::Prod, false) => combine_elements::<T, { Combine::Prod as u8 }>,
        (Combine::Max, false) => combine_elements::<T, { Combine::Max as u8 }>,
        (Combine::Min, false) | (Combine::Or, false) => {
            combine_elements::<T, { Combine::Min as u8 }>
        }
    };
    // SAFETY: reading a constant initialised at load time.
    let mut op = unsafe { sys::RSMPI_MAX };
    check(
        // SAFETY: `f` follows MPI_User_function's signature and contract;
        // `op` is a valid out-parameter.
        unsafe { sys::MPI_Op_create(Some(f), 1, &mut op) },
        "MPI_Op_create",
    )?;
    let h = Handles { op, ty };
    ops.push((key, h));
    Ok(h)
}

/// Collective over `comm`: the maximum of every rank's `head`, and
/// `data` (at most [`PACKET_DATA`] bytes of `T`s; zeros instead where
/// `contribute` is false) combined by `c` over the ranks, in one
/// `MPI_Allreduce`. Every rank must call it (with any arguments: the
/// count and datatype are the same for all). The combined data are
/// written back into `data` only when the ranks agreed: the maximum's
/// first word is 0 and its second the complement of its third (every
/// rank passed `[0, h, !h]` with the same `h`).
pub(crate) fn allreduce_packet<T: Element>(
    comm: MPI_Comm,
    head: [u64; 3],
    data: &mut [T],
    contribute: bool,
    c: Combine,
) -> Result<[u64; 3]> {
    let _inside = InMpi::enter();
    assert!(
        size_of_val(data) <= PACKET_DATA,
        "{} bytes in a packet of {PACKET_DATA}",
        size_of_val(data)
    );
    let h = handles::<T>(c, true)?;
    let mut p = Packet {
        head,
        data: [0; PACKET_DATA],
    };
    let out = p.data.as_mut_ptr() as *mut T;
    for (i, x) in data.iter().enumerate().filter(|_| contribute) {
        // SAFETY: `i < data.len()` elements fit in the data bytes (asserted).
        unsafe { out.add(i).write_unaligned(*x) };
    }
    check(
        // SAFETY: `p` is one packet of the datatype `h.ty`, alive across
        // the blocking call; MPI_IN_PLACE takes the input from it.
        unsafe {
            sys::MPI_Allreduce(
                GAIN_MPI_IN_PLACE,
                (&mut p) as *mut Packet as *mut c_void,
                1,
                h.ty,
                h.op,
                comm,
            )
        },
        "MPI_Allreduce",
    )?;
    if p.head[0] != 0 || p.head[1] != !p.head[2] {
        return Ok(p.head);
    }
    let out = p.data.as_ptr() as *const T;
    for (i, x) in data.iter_mut().enumerate() {
        // SAFETY: as above.
        *x = unsafe { out.add(i).read_unaligned() };
    }
    Ok(p.head)
}

/// Elements per call of [`allreduce_elements`]: MPI counts are `int`s.
const MAX_COUNT: usize = 1 << 30;

/// Collective over `comm`: `MPI_Allreduce` with `MPI_IN_PLACE` of `buf`,
/// combined by `c` (not `Or`) with gain's own user-defined operation, in
/// pieces of at most 2^30 elements (every rank's `buf` must have the same
/// length). gain combines the elements itself, not with `MPI_SUM` and
/// friends, so that the results are the same under every library: Open
/// MPI 4.1's AVX reductions saturate overflowing 8- and 16-bit sums
/// (open-mpi/ompi#8045), and MPICH 4.0.2's `MPI_MAX` and `MPI_MIN`
/// compare unsigned integers as signed (a plain C program of two ranks
/// found the maximum of 60 and 255 to be 60).
pub(crate) fn allreduce_elements<T: Element>(
    comm: MPI_Comm,
    buf: &mut [T],
    c: Combine,
) -> Result<()> {
    let _inside = InMpi::enter();
    debug_assert!(c != Combine::Or, "or is for packets");
    let h = handles::<T>(c, false)?;
    for piece in buf.chunks_mut(MAX_COUNT) {
        check(
            // SAFETY: `piece` is `piece.len()` initialised, writable
            // elements of the datatype `h.ty`, alive until the blocking call
            // returns; MPI_IN_PLACE takes the input from it.
            unsafe {
                sys::MPI_Allreduce(
                    GAIN_MPI_IN_PLACE,
                    piece.as_mut_ptr() as *mut c_void,
                    piece.len() as c_int,
                    h.ty,
                    h.op,
                    comm,
                )
            },
            "MPI_Allreduce",
        )?;
    }
    Ok(())
}
