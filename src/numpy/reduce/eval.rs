//! Evaluation of an expression into a new global array.

use ndarray::{Dimension, IxDyn};

use super::domain::Domain;
use crate::error::bail;
use crate::fault::during;
use crate::numpy::expr::Expr;
use crate::{Distribution, Element, GlobalArray, Result, Runtime};

/// # Evaluation
impl<T: Element, D: Dimension> Expr<'_, T, D> {
    /// Evaluates into a new global array of the expression's dimension
    /// type, distributed like an operand of the same shape read whole (so
    /// it is computed in place), else regularly. No global temporaries.
    ///
    /// Errors: the expression's shape error;
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument)
    /// when it reads no global array (use [`eval_on`](Self::eval_on));
    /// [`ZeroSizeDimension`](crate::ErrorKind::ZeroSizeDimension) for a
    /// 0-d expression. An empty expression (a zero-length axis) gives an
    /// empty array of its shape.
    ///
    /// # Collective
    ///
    /// Every rank must call it, in the same order, on the same
    /// expression; it creates the array (collectively), syncs the arrays
    /// read, and returns after a closing sync of the new array.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gain::init()?;
    /// let a = gain::numpy::arange(&rt, 0i32, 4, 1)?;
    /// let b = (&a * &a).eval()?; // a GlobalArray<i32, Ix1>
    /// assert!(b.compare_distr(&a));
    /// assert_eq!(b.to_array()?, ndarray::array![0, 1, 4, 9]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn eval(&self) -> Result<GlobalArray<T, D>> {
        during("Expr::eval", move || -> Result<GlobalArray<T, D>> {
            self.eval_in(Domain::new(self)?)
        })
    }

    /// As [`eval`](Self::eval), on the ranks of `rt`: for expressions that
    /// read no global array (index grids, say).
    ///
    /// # Collective
    ///
    /// As [`eval`](Self::eval), over the ranks of `rt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndarray::Axis;
    /// # let rt = gain::init()?;
    /// let j = gain::numpy::index_along([2, 3], Axis(1)).eval_on(&rt)?;
    /// assert_eq!(j.to_array()?, ndarray::array![[0, 1, 2], [0, 1, 2]]);
    /// # Ok::<(), gain::Error>(())
    /// ```
    pub fn eval_on(&self, rt: &Runtime) -> Result<GlobalArray<T, D>> {
        during("Expr::eval_on", move || -> Result<GlobalArray<T, D>> {
            self.eval_in(Domain::on(self, Some(rt), &[])?)
        })
    }

    fn eval_in(&self, d: Domain<'_, T>) -> Result<GlobalArray<T, D>> {
        // An empty expression evaluates to an empty array (its
        // distribution has no blocks); a 0-d one has nothing to store.
        let dist = match d.dist.clone() {
            Some(dist) => dist,
            None if !d.shape.is_empty() => Distribution::regular(&d.shape, d.rt.size(), None)?,
            None => bail!(
                ZeroSizeDimension,
                "a 0-d expression has no array to store into"
            ),
        };
        let mut r = GlobalArray::<T, IxDyn>::with_distribution(&d.rt, dist)?;
        r.assign(self)?;
        r.into_dimensionality()
    }
}
