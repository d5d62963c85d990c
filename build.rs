//! Compiles `src/window/shim.c`, which exports MPI handle constants that
//! rsmpi's `mpi::ffi` lacks (`MPI_REPLACE`, `MPI_NO_OP`, `MPI_WIN_MODEL`, …).
//! Their values differ between Open MPI and MPICH, so they are read from the
//! MPI headers at build time instead of being hard-coded, as `mpi-sys` does.
//! With the `blas` feature it also links the system's OpenBLAS.

fn main() {
    println!("cargo:rerun-if-changed=src/window/shim.c");
    println!("cargo:rerun-if-env-changed=MPICC");
    let lib = match build_probe_mpi::probe() {
        Ok(lib) => lib,
        Err(errs) => {
            for e in errs {
                println!("cargo:warning=MPI probe: {e}");
            }
            panic!("gain: no MPI library found; run scripts/install-deps");
        }
    };
    let mut build = cc::Build::new();
    build.file("src/window/shim.c");
    if let Some(mpicc) = lib.mpicc {
        build.compiler(mpicc);
    } else {
        for inc in &lib.include_paths {
            build.include(inc);
        }
    }
    build.compile("gain_shim");
    // The `blas` feature: ndarray's cblas calls resolve to the system's
    // OpenBLAS (scripts/install-deps installs libopenblas-dev).
    if std::env::var_os("CARGO_FEATURE_BLAS").is_some() {
        println!("cargo:rustc-link-lib=openblas");
    }
}
