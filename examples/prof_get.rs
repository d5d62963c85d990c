fn main() {
    let rt = gain::init().unwrap();
    let n = 1 << 20;
    let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 2 * n).unwrap();
    if rt.rank() == 0 {
        let mut buf = ndarray::Array1::<f64>::zeros(1);
        let t = std::time::Instant::now();
        for i in 0..300000 {
            ga.get_into(n + i % 1000..n + i % 1000 + 1, buf.view_mut())
                .unwrap();
        }
        println!("{:?} per get", t.elapsed() / 300000);
    }
    ga.sync().unwrap();
}
