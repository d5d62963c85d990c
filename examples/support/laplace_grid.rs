//! The Laplace problem of `examples/laplace.rs` on plain memory: the grid,
//! its boundary, and the serial hand-written loop the example verifies
//! against (and `benches/laplace.rs` times as the baseline).

/// The grid constants: spacing squared and the inverse denominator.
pub fn constants(n: usize) -> (f64, f64, f64) {
    let d = 1.0 / (n - 1) as f64;
    let (dx2, dy2) = (d * d, d * d);
    (dx2, dy2, 0.5 / (dx2 + dy2))
}

/// `x² − y²` on the boundary, zero inside.
pub fn initial(i: usize, j: usize, n: usize) -> f64 {
    if i == 0 || j == 0 || i == n - 1 || j == n - 1 {
        let (x, y) = (i as f64 / (n - 1) as f64, j as f64 / (n - 1) as f64);
        x * x - y * y
    } else {
        0.0
    }
}

/// The serial hand-written loop: the same sweeps on plain slices. Returns
/// the solution and the last error.
pub fn serial_loop(n: usize, iters: usize) -> (Vec<f64>, f64) {
    let (dx2, dy2, dnr_inv) = constants(n);
    let mut u: Vec<f64> = (0..n * n).map(|k| initial(k / n, k % n, n)).collect();
    let mut new = u.clone();
    let mut err = 0.0;
    for _ in 0..iters {
        err = 0.0;
        for i in 1..n - 1 {
            let (up, row, down) = (
                &u[(i - 1) * n..i * n],
                &u[i * n..(i + 1) * n],
                &u[(i + 1) * n..(i + 2) * n],
            );
            let out = &mut new[i * n..(i + 1) * n];
            for j in 1..n - 1 {
                let v = ((up[j] + down[j]) * dy2 + (row[j - 1] + row[j + 1]) * dx2) * dnr_inv;
                err += (v - row[j]) * (v - row[j]);
                out[j] = v;
            }
        }
        std::mem::swap(&mut u, &mut new);
    }
    (u, err.sqrt())
}
