//! The mutexes (`gain::Mutexes`).

use crate::registry::Case;

pub const CASES: &[Case] = &[];
