//! `.npy` files: save and load against the serial model and against an
//! independent reader (`ndarray-npy` on one rank), Fortran order and
//! format versions 2.0 and 3.0, bad files and paths, and NumPy reading
//! gain's files and gain reading NumPy's.

use std::path::{Path, PathBuf};
use std::process::Command;

use gain::{Element, ErrorKind, GlobalArray, Runtime, io};
use mpi::traits::*;
use ndarray::{ArrayD, Ix1, Ix2, IxDyn, ShapeBuilder};

use crate::bad_input::Tally;
use crate::model::{Rng, random_array};
use crate::registry::{Case, case};

/// The `.npy` cases, with the tags that say which configurations run them
/// (`registry::Tag`).
pub const CASES: &[Case] = &[
    case!(io_npy_save_load_match_the_model; Light, Io),
    case!(io_npy_bad_input; Light, Io),
    case!(io_numpy_reads_and_writes_the_same_files; NumpyInterop),
];

/// A directory every rank names alike (from rank 0's PID), created by
/// rank 0, emptied and removed by [`Scratch::finish`].
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(rt: &Runtime, what: &str) -> Scratch {
        let mut pid = std::process::id();
        rt.comm().process_at_rank(0).broadcast_into(&mut pid);
        let dir = std::env::temp_dir().join(format!("gain-test-{what}-{pid}"));
        if rt.rank() == 0 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        rt.comm().barrier();
        Scratch { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The names in the directory: no save may leave a temporary behind.
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn assert_no_partial_files(&self, what: &str) {
        let partial: Vec<_> = self
            .names()
            .into_iter()
            .filter(|n| n.contains("gain-partial"))
            .collect();
        assert!(partial.is_empty(), "{what} left {partial:?}");
    }

    pub fn finish(self, rt: &Runtime) {
        rt.comm().barrier();
        if rt.rank() == 0 {
            std::fs::remove_dir_all(&self.dir).unwrap();
        }
    }
}

/// `model` in Fortran order (same values, column-major memory).
fn fortran<T: Element>(model: &ArrayD<T>) -> ArrayD<T> {
    let mut f = ArrayD::<T>::zeros(IxDyn(model.shape()).f());
    f.assign(model);
    f
}

/// The bytes of the `.npy` file `v1` rewritten with a header of format
/// `version` (2 or 3: a 4-byte header length), padded as NumPy pads.
fn with_version(v1: &[u8], version: u8) -> Vec<u8> {
    assert_eq!(&v1[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([v1[8], v1[9]]) as usize;
    let dict = std::str::from_utf8(&v1[10..10 + hlen]).unwrap().trim_end();
    let mut text = dict.to_string();
    while !(12 + text.len() + 1).is_multiple_of(64) {
        text.push(' ');
    }
    text.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([version, 0]);
    out.extend((text.len() as u32).to_le_bytes());
    out.extend(text.as_bytes());
    out.extend(&v1[10 + hlen..]);
    out
}

/// Saves random arrays of every element type with random distributions,
/// reads each file back with `ndarray-npy` on rank 0 and with every load
/// form on all ranks, in C and Fortran order and format versions 1 to 3.
pub fn io_npy_save_load_match_the_model(rt: &Runtime) {
    let scratch = Scratch::new(rt, "io");
    let mut rng = Rng::new(22);
    // Every type once; two of them three times, with the static and
    // empty cases (the distributions are what varies, not the type).
    roundtrips::<i8>(rt, &scratch, &mut rng, 1);
    roundtrips::<i16>(rt, &scratch, &mut rng, 1);
    roundtrips::<i32>(rt, &scratch, &mut rng, 1);
    roundtrips::<i64>(rt, &scratch, &mut rng, 3);
    roundtrips::<u8>(rt, &scratch, &mut rng, 1);
    roundtrips::<u16>(rt, &scratch, &mut rng, 1);
    roundtrips::<u32>(rt, &scratch, &mut rng, 1);
    roundtrips::<u64>(rt, &scratch, &mut rng, 1);
    roundtrips::<f32>(rt, &scratch, &mut rng, 1);
    roundtrips::<f64>(rt, &scratch, &mut rng, 3);
    scratch.assert_no_partial_files("a save");
    scratch.finish(rt);
}

fn roundtrips<T: Element + ndarray_npy::ReadableElement + ndarray_npy::WritableElement>(
    rt: &Runtime,
    scratch: &Scratch,
    rng: &mut Rng,
    trials: usize,
) {
    let name = std::any::type_name::<T>();
    for trial in 0..trials {
        let ndim = 1 + rng.below(3);
        let mut ga = random_array::<T>(rt, rng, ndim);
        let shape = ga.shape().to_vec();
        let mut model: ArrayD<T> = rng.data(&shape);
        // Values that need the type's full width where it has one.
        if let Some(first) = model.iter_mut().next() {
            *first = T::from(if T::IS_INTEGER { 100 } else { 0 }).unwrap() - T::one();
        }
        if rt.rank() == 0 {
            ga.put(.., &model).unwrap();
        }
        ga.sync().unwrap();
        let what = format!("{name} {shape:?} trial {trial}");
        let path = scratch.path(&format!("{name}-{trial}.npy"));
        io::save_npy(&ga, &path).unwrap_or_else(|e| panic!("{what}: {e}"));
        if rt.rank() == 0 {
            let read: ArrayD<T> = ndarray_npy::read_npy(&path).unwrap();
            assert_eq!(read, model, "{what}: ndarray-npy reads gain's file");
        }
        let a = io::load_npy::<T, IxDyn>(rt, &path).unwrap();
        assert_eq!(a.get(..).unwrap(), model, "{what}: load_npy");
        let chunk: Vec<usize> = shape.iter().map(|&n| rng.below(n + 1)).collect();
        let b = io::load_npy_chunked::<T, IxDyn>(rt, &path, &chunk).unwrap();
        assert_eq!(
            b.get(..).unwrap(),
            model,
            "{what}: load_npy_chunked {chunk:?}"
        );
        let r = gain::Replicated::<T, IxDyn>::load_npy(rt, &path).unwrap();
        assert_eq!(r.view(), model.view(), "{what}: Replicated::load_npy");
        ga.fill(T::zero()).unwrap();
        io::load_npy_into(&mut ga, &path).unwrap();
        assert_eq!(ga.get(..).unwrap(), model, "{what}: load_npy_into");
        // The same data in Fortran order, and in format versions 2 and 3.
        let fpath = scratch.path(&format!("{name}-{trial}-fortran.npy"));
        let vpath = scratch.path(&format!("{name}-{trial}-v{}.npy", 2 + trial % 2));
        if rt.rank() == 0 {
            ndarray_npy::write_npy(&fpath, &fortran(&model)).unwrap();
            let v1 = std::fs::read(&path).unwrap();
            std::fs::write(&vpath, with_version(&v1, 2 + (trial % 2) as u8)).unwrap();
        }
        rt.comm().barrier();
        let f = io::load_npy_chunked::<T, IxDyn>(rt, &fpath, &chunk).unwrap();
        assert_eq!(f.get(..).unwrap(), model, "{what}: a Fortran-order file");
        let rf = gain::Replicated::<T, IxDyn>::load_npy(rt, &fpath).unwrap();
        assert_eq!(
            rf.view(),
            model.view(),
            "{what}: Replicated from Fortran order"
        );
        let v = io::load_npy::<T, IxDyn>(rt, &vpath).unwrap();
        assert_eq!(v.get(..).unwrap(), model, "{what}: format version 2/3");
        rt.comm().barrier();
        if rt.rank() == 0 {
            for p in [&path, &fpath, &vpath] {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
    if trials == 1 {
        return;
    }
    // Static dimensions and an empty array.
    let m2: ArrayD<T> = rng.data(&[5, 3]);
    let a2 =
        gain::numpy::from_array(rt, &m2.clone().into_dimensionality::<Ix2>().unwrap()).unwrap();
    let p2 = scratch.path(&format!("{name}-static.npy"));
    io::save_npy(&a2, &p2).unwrap();
    let b2 = io::load_npy::<T, Ix2>(rt, &p2).unwrap();
    assert_eq!(b2.get(..).unwrap().into_dyn(), m2, "{name}: Ix2");
    let empty = GlobalArray::<T, _>::zeros(rt, [0, 4]).unwrap();
    let pe = scratch.path(&format!("{name}-empty.npy"));
    io::save_npy(&empty, &pe).unwrap();
    let back = io::load_npy::<T, Ix2>(rt, &pe).unwrap();
    assert_eq!(back.shape(), &[0, 4], "{name}: an empty array");
    rt.comm().barrier();
    if rt.rank() == 0 {
        for p in [&p2, &pe] {
            std::fs::remove_file(p).unwrap();
        }
    }
}

/// Broken variants of the `.npy` file `good` (rank 0 writes them beside
/// it), for the bad-input cases of loading and of mapping.
pub struct BadFiles {
    pub empty: PathBuf,
    pub magic: PathBuf,
    pub version: PathBuf,
    pub truncated: PathBuf,
    pub longer: PathBuf,
    pub big_endian: PathBuf,
    pub fifo: PathBuf,
}

impl BadFiles {
    pub fn new(rt: &Runtime, scratch: &Scratch, good: &Path) -> BadFiles {
        let bytes = std::fs::read(good).unwrap();
        let bad = |name: &str, content: &[u8]| -> PathBuf {
            let p = scratch.path(name);
            if rt.rank() == 0 {
                std::fs::write(&p, content).unwrap();
            }
            p
        };
        let mut magic = bytes.clone();
        magic[1] = b'X';
        let mut version = bytes.clone();
        version[6] = 4;
        let mut longer = bytes.clone();
        longer.extend([0; 8]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let at = text[..64].find("<f8");
        let big_endian: Vec<u8> = bytes
            .iter()
            .enumerate()
            .map(|(i, &b)| if at == Some(i) { b'>' } else { b })
            .collect();
        let fifo = scratch.path("fifo.npy");
        if rt.rank() == 0 {
            let ok = Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success();
            assert!(ok, "mkfifo");
        }
        BadFiles {
            empty: bad("empty.npy", b""),
            magic: bad("magic.npy", &magic),
            version: bad("version.npy", &version),
            truncated: bad("truncated.npy", &bytes[..bytes.len() - 8]),
            longer: bad("longer.npy", &longer),
            big_endian: bad("big-endian.npy", &big_endian),
            fifo,
        }
    }
}

/// Bad files and paths: a typed error on every rank, no file left behind.
pub fn io_npy_bad_input(rt: &Runtime) {
    let scratch = Scratch::new(rt, "io-bad");
    let mut t = Tally { rt, tried: 0 };
    let ga = gain::numpy::from_fn(rt, [4, 3], |i| (i[0] * 3 + i[1]) as f64).unwrap();
    let good = scratch.path("good.npy");
    io::save_npy(&ga, &good).unwrap();
    let good2 = scratch.path("good2.npy");
    io::save_npy(&ga, &good2).unwrap();
    let BadFiles {
        empty,
        magic,
        version,
        truncated,
        longer,
        big_endian,
        fifo,
    } = BadFiles::new(rt, &scratch, &good);
    let scalar = scratch.path("scalar.npy");
    if rt.rank() == 0 {
        ndarray_npy::write_npy(&scalar, &ndarray::arr0(1.5f64)).unwrap();
    }
    rt.comm().barrier();
    let load = |p: &Path| io::load_npy::<f64, Ix2>(rt, p);
    t.expect(
        "a truncated file, replicated",
        gain::Replicated::<f64, Ix2>::load_npy(rt, &truncated),
        ErrorKind::NpyFormat,
    );
    t.expect(
        "a missing file",
        load(&scratch.path("none.npy")),
        ErrorKind::Io,
    );
    t.expect("a directory", load(&scratch.dir), ErrorKind::Io);
    t.expect("a FIFO", load(&fifo), ErrorKind::Io);
    t.expect("an empty file", load(&empty), ErrorKind::NpyFormat);
    t.expect("a wrong magic string", load(&magic), ErrorKind::NpyFormat);
    t.expect("format version 4", load(&version), ErrorKind::NpyFormat);
    t.expect("a truncated file", load(&truncated), ErrorKind::NpyFormat);
    t.expect("bytes after the data", load(&longer), ErrorKind::NpyFormat);
    t.expect("big-endian data", load(&big_endian), ErrorKind::NpyFormat);
    t.expect(
        "f64 data read as i32",
        io::load_npy::<i32, Ix2>(rt, &good),
        ErrorKind::NpyFormat,
    );
    t.expect(
        "a 2-d file read as 1-d",
        io::load_npy::<f64, Ix1>(rt, &good),
        ErrorKind::DimensionMismatch,
    );
    t.expect(
        "a 0-d file (gain's arrays have 1 to 8 dimensions)",
        io::load_npy::<f64, IxDyn>(rt, &scalar),
        ErrorKind::DimensionMismatch,
    );
    let mut other = GlobalArray::<f64, _>::zeros(rt, [3, 4]).unwrap();
    t.expect(
        "a file of another shape",
        io::load_npy_into(&mut other, &good),
        ErrorKind::ShapeMismatch,
    );
    t.expect(
        "saving into a missing directory",
        io::save_npy(&ga, scratch.path("no/such/dir.npy")),
        ErrorKind::Io,
    );
    t.expect(
        "saving onto a directory",
        io::save_npy(&ga, &scratch.dir),
        ErrorKind::Io,
    );
    t.one_rank_wrong(
        "one rank's file is missing",
        ErrorKind::Io,
        "rejected",
        |w| {
            load(&if w {
                scratch.path("none.npy")
            } else {
                good.clone()
            })
        },
    );
    t.one_rank_wrong(
        "one rank loads another path",
        ErrorKind::InconsistentArguments,
        "paths",
        |w| load(&if w { good2.clone() } else { good.clone() }).map(drop),
    );
    // Two names of one file name one file: odd ranks name it through its
    // directory's parent, and load and save agree with the others.
    let other_name = |p: &Path| {
        let dir = p.parent().unwrap();
        dir.join("..")
            .join(dir.file_name().unwrap())
            .join(p.file_name().unwrap())
    };
    let odd = rt.rank() % 2 == 1;
    let named = |p: &Path| if odd { other_name(p) } else { p.to_path_buf() };
    let back = load(&named(&good)).unwrap();
    assert_eq!(back.to_array().unwrap(), ga.to_array().unwrap());
    io::save_npy(&ga, named(&scratch.path("renamed.npy"))).unwrap();
    let back = load(&scratch.path("renamed.npy")).unwrap();
    assert_eq!(back.to_array().unwrap(), ga.to_array().unwrap());
    t.one_rank_wrong(
        "one rank saves to another path",
        ErrorKind::InconsistentArguments,
        "paths",
        |w| io::save_npy(&ga, scratch.path(if w { "b.npy" } else { "a.npy" })),
    );
    t.one_rank_wrong(
        "one rank saves into a missing directory",
        ErrorKind::Io,
        "rejected",
        |w| io::save_npy(&ga, scratch.path(if w { "no/x.npy" } else { "x.npy" })),
    );
    // Nothing was written by the failed saves, and the good file is whole.
    rt.comm().barrier();
    scratch.assert_no_partial_files("a failed save");
    let names = scratch.names();
    // (One rank alone cannot disagree with itself: it saved b.npy.)
    let never = if rt.size() > 1 {
        &["a.npy", "b.npy", "x.npy"][..]
    } else {
        &["x.npy"]
    };
    for n in never {
        assert!(!names.contains(&n.to_string()), "a failed save created {n}");
    }
    let back = load(&good).unwrap();
    assert_eq!(back.get(..).unwrap(), ga.get(..).unwrap());
    if rt.rank() == 0 {
        println!("bad inputs tried: {}", t.tried);
    }
    scratch.finish(rt);
}

/// The Python interpreter with NumPy the interoperability case uses
/// (`python3`, else Debian's `/usr/bin/python3`), or `None`.
pub fn python_with_numpy() -> Option<String> {
    ["python3", "/usr/bin/python3"].into_iter().find_map(|py| {
        let ok = Command::new(py)
            .args(["-c", "import numpy"])
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| py.to_string())
    })
}

/// The environment variable naming the interpreter for [`io_numpy_reads_and_writes_the_same_files`].
pub const PYTHON: &str = "GAIN_TEST_PYTHON";

/// NumPy opens every file gain saves, and gain opens every file NumPy
/// saves (C and Fortran order, every element type), with the same values.
pub fn io_numpy_reads_and_writes_the_same_files(rt: &Runtime) {
    let py = std::env::var(PYTHON).expect("the parent names the interpreter");
    let scratch = Scratch::new(rt, "numpy");
    // gain's name of each type, and NumPy's.
    let types = [
        ("i8", "int8"),
        ("i16", "int16"),
        ("i32", "int32"),
        ("i64", "int64"),
        ("u8", "uint8"),
        ("u16", "uint16"),
        ("u32", "uint32"),
        ("u64", "uint64"),
        ("f32", "float32"),
        ("f64", "float64"),
    ];
    let types = types
        .iter()
        .map(|(g, n)| format!("({g:?}, {n:?})"))
        .collect::<Vec<_>>()
        .join(", ");
    interop::<i8>(rt, &scratch, "i8");
    interop::<i16>(rt, &scratch, "i16");
    interop::<i32>(rt, &scratch, "i32");
    interop::<i64>(rt, &scratch, "i64");
    interop::<u8>(rt, &scratch, "u8");
    interop::<u16>(rt, &scratch, "u16");
    interop::<u32>(rt, &scratch, "u32");
    interop::<u64>(rt, &scratch, "u64");
    interop::<f32>(rt, &scratch, "f32");
    interop::<f64>(rt, &scratch, "f64");
    // NumPy checks gain's files and writes its own, C and Fortran order.
    if rt.rank() == 0 {
        let script = format!(
            r#"
import numpy as np, sys
d = sys.argv[1]
types = [{types}]
for g, t in types:
    want = (np.arange(7 * 5 * 3) % 97).reshape(7, 5, 3).astype(t)
    got = np.load(f"{{d}}/gain-{{g}}.npy")
    assert got.dtype == np.dtype(t), (g, got.dtype)
    assert got.shape == want.shape and (got == want).all(), g
    np.save(f"{{d}}/numpy-{{g}}.npy", want)
    np.save(f"{{d}}/numpy-{{g}}-fortran.npy", np.asfortranarray(want))
print("numpy", np.__version__, "read and wrote", len(types), "types")
"#
        );
        let out = Command::new(&py)
            .args(["-c", &script])
            .arg(&scratch.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "NumPy could not read gain's files: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    rt.comm().barrier();
    back::<i8>(rt, &scratch, "i8");
    back::<i16>(rt, &scratch, "i16");
    back::<i32>(rt, &scratch, "i32");
    back::<i64>(rt, &scratch, "i64");
    back::<u8>(rt, &scratch, "u8");
    back::<u16>(rt, &scratch, "u16");
    back::<u32>(rt, &scratch, "u32");
    back::<u64>(rt, &scratch, "u64");
    back::<f32>(rt, &scratch, "f32");
    back::<f64>(rt, &scratch, "f64");
    scratch.finish(rt);
}

/// The values both sides write: `arange(105) % 97` in shape (7, 5, 3).
fn interop_model<T: Element>() -> ArrayD<T> {
    ArrayD::from_shape_fn(IxDyn(&[7, 5, 3]), |i| {
        T::from((i[0] * 15 + i[1] * 3 + i[2]) % 97).unwrap()
    })
}

fn interop<T: Element>(rt: &Runtime, scratch: &Scratch, t: &str) {
    let ga = gain::numpy::from_array(rt, &interop_model::<T>()).unwrap();
    io::save_npy(&ga, scratch.path(&format!("gain-{t}.npy"))).unwrap();
}

fn back<T: Element>(rt: &Runtime, scratch: &Scratch, t: &str) {
    for name in [format!("numpy-{t}.npy"), format!("numpy-{t}-fortran.npy")] {
        let ga = io::load_npy::<T, IxDyn>(rt, scratch.path(&name)).unwrap();
        assert_eq!(
            ga.get(..).unwrap(),
            interop_model::<T>(),
            "gain reads {name}"
        );
    }
}
