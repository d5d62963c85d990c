//! Cargo features.
//!
//! - `blas` — the local products of [`crate::linalg::matmul`] (and every
//!   ndarray `dot` / `general_mat_mul` in the program) call the system's
//!   OpenBLAS (`libopenblas-dev`, linked by `build.rs`;
//!   `scripts/install-deps` installs it) instead of ndarray's own
//!   matrixmultiply. Each rank's OpenBLAS gets the cores it may run on
//!   divided by the node's ranks (one thread per rank when ranks fill the
//!   cores); `OPENBLAS_NUM_THREADS` or `OMP_NUM_THREADS` overrides that.
//!   `cargo run --release --features blas --example matmul` prints `local
//!   GEMM: OpenBLAS`.
