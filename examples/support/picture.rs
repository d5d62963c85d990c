//! PNG output for the examples: a 2-D array as a gray image or a heat map,
//! scaled to the data's range and shrunk by striding to at most `max_px`
//! pixels a side.

use std::fs::File;
use std::io::BufWriter;

use ndarray::ArrayView2;

/// Writes `a` as an 8-bit PNG: gray (`heat == false`) or a black–red–
/// yellow–white heat map.
pub fn write(path: &str, a: ArrayView2<'_, f64>, heat: bool, max_px: usize) -> std::io::Result<()> {
    let step = a.nrows().max(a.ncols()).div_ceil(max_px).max(1);
    let v = a.slice(ndarray::s![..;step, ..;step]);
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    let scale = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
    let mut px = Vec::with_capacity(v.len() * 3);
    for &x in v.iter() {
        let t = ((x - lo) * scale).clamp(0.0, 1.0);
        if heat {
            // Black → red → yellow → white.
            let c = |a: f64| ((a.clamp(0.0, 1.0)) * 255.0).round() as u8;
            px.extend([c(3.0 * t), c(3.0 * t - 1.0), c(3.0 * t - 2.0)]);
        } else {
            px.push((t * 255.0).round() as u8);
        }
    }
    let mut enc = png::Encoder::new(
        BufWriter::new(File::create(path)?),
        v.ncols() as u32,
        v.nrows() as u32,
    );
    enc.set_color(if heat {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(std::io::Error::other)?;
    w.write_image_data(&px).map_err(std::io::Error::other)?;
    Ok(())
}
