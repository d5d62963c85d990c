//! The NumPy layer, [`crate::numpy`]: NumPy-style views, ufuncs,
//! broadcasting, reductions and creation on global arrays.
//!
//! ```
//! use gain::numpy::{self, Zip};
//! use ndarray::{Axis, s};
//!
//! fn main() -> gain::Result<()> {
//!     let rt = gain::init()?;
//!     let n = 64;
//!     let u = numpy::from_fn(&rt, [n, n], |i| (i[0] + i[1]) as f64)?; // fromfunction: GlobalArray<f64, Ix2>
//!     let mut new = numpy::zeros_like(&u)?;
//!     let v = u.slice(s![1..-1, ..;-2])?; // a view: no data moves
//!     assert_eq!(v.shape(), vec![n - 2, n / 2]);
//!     let e = (u.slice(s![..-2, 1..-1])? + u.slice(s![2.., 1..-1])?) * 0.5; // lazy, shifted views
//!     new.slice_mut(s![1..-1, 1..-1])?.assign(e)?; // u[1:-1,1:-1] = ...
//!     let err = (&new - &u).powi(2).sum()?.sqrt(); // reductions of expressions
//!     let col = new.mean_axis(Axis(0))?; // and of arrays: a GlobalArray<f64, Ix1>
//!     let (a, b) = (numpy::ones_like(&u)?, numpy::full_like(&u, 2.0)?);
//!     Zip::from(&mut new).and(&a).and(&b).for_each(|c, &a, &b| *c += a * b)?; // one pass
//!     let p = u.t().dot(&a)?; // uᵀ · a, nothing transposed in memory
//!     if rt.rank() == 0 {
//!         println!("err {err}, mean of column 1 {}, p[0,0] {}", col.at(&[1])?, p.at(&[0, 0])?);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! | NumPy | gain::numpy | |
//! |---|---|---|
//! | `a[1:-1, ::-2]`, `a[i]`, `np.newaxis` | `a.slice(s![..])` → `View` (ndarray's `s!` rules); views of views compose into one selection; `slice_mut` → `ViewMut` | local: no communication |
//! | `a[...] = x`, `fill` | `assign`, `fill`, `zip_mut_with`, `+=` `-=` `*=` `/=` `%=` | collective |
//! | ufuncs | operators `+ - * / %` (Rust's: see below) and unary `-`; `floor_divide` (`//`), `remainder` (`np.mod`), `sqrt exp ln log10 sin cos tan tanh floor ceil round rint recip abs signum powi powf pow hypot atan2 maximum minimum`; `mapv`, `zip_with` (user ufuncs); `cast` (`astype`) | lazy `Expr<'a, T, D>` |
//! | comparisons, `where` | `equal not_equal less less_equal greater greater_equal` → `u8` masks; `logical_and/or/not`; `where_` | lazy |
//! | broadcasting | NumPy's rules between global arrays, views, ndarray arrays (the same on every rank) and scalars; the result's dimension type is ndarray's `DimMax` of the operands' (a scalar keeps the other's), so `(&a + &b).eval()?` of `Ix2` arrays is `Ix2`; `IxDyn` and `Expr::into_dyn` for dynamic ones | |
//! | `out=` / numexpr | `Zip::from(out).and(a)…for_each(closure)` (up to eight inputs), `assign(expr)`, `eval()` — no global temporaries | collective |
//! | reductions | methods of arrays, views and expressions, ndarray's names: `sum prod min max mean var std argmin argmax all any norm_l1 norm_l2 norm_max`, `dot` (1-D); `sum_axis(Axis(k))` and the other `*_axis` return distributed arrays of type `D::Smaller`; `cumsum`, `cumprod`; `var(ddof)` takes a float; sums and products of integers (and masks) in `i64`/`u64`, as NumPy's | collective |
//! | `a.T @ b`, `GA_Dgemm` | [`crate::linalg`]: `a.dot(&b)`, `a.t().dot(&b)`, `matmul`, `matmul_into(alpha, a.t(), b.t(), beta, &mut c)`; `a.t()` is a transposed operand, no data moves | collective |
//! | creation | `zeros ones full empty *_like eye arange linspace from_fn from_array scatter`, `index_along` (`indices`), `gain::random::uniform/normal`; `to_array`, `gather` | collective |
//!
//! Owner computes: each rank evaluates the part of the output in its own
//! block, cut wherever an operand crosses a block boundary. Operand pieces
//! on the same node are read in place through shared memory; remote ones
//! are fetched with one `get` per piece. Expressions run in cache-sized
//! tiles; a `Zip` over views runs row by row as plain slice loops. The
//! local work runs on the rank's threads ([`super::threads`]).
//!
//! The `laplace` example is perfpy's Laplace solver written with this
//! layer.
