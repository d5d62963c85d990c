fn main() {
    let rt = gain::init().unwrap();
    let ga = gain::GlobalArray::<f64, _>::zeros(&rt, 1 << 20).unwrap();
    let t = std::time::Instant::now();
    let mut s = 0.0;
    for i in 0..5000000 {
        s += ga.get(i % 1000..i % 1000 + 1).unwrap()[0];
    }
    println!("{:?} per get {s}", t.elapsed() / 5000000);
}
