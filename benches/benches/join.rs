//! Which two-core split the tutorial's training step should use: the bench behind the `speed`
//! crate's choice.
//!
//! The step is `train_on_batch/tutorial/32` of the `training` bench (Flatten 784, Dense 128
//! relu, Dense 10 softmax, batch 32, Adam), timed here under the name of the variant of
//! `speed` compiled in ([`speed::VARIANT`]). Cargo features are unified over the workspace,
//! so each variant is its own build of the same source; run them one after the other, on an
//! otherwise quiet machine, and compare the medians:
//!
//! ```text
//! cargo bench -p benches --bench join                              # join/spin: the helper thread
//! cargo bench -p benches --bench join --features speed/rayon       # join/rayon: rayon::join
//! MATMUL_NUM_THREADS=2 \
//! cargo bench -p benches --bench join --features speed/threading   # join/threading
//! ```
//!
//! (`threading`: each product is one matrixmultiply call that splits itself over its own
//! threads, `MATMUL_NUM_THREADS` of them, by default one per physical core; Adam's split goes
//! through `rayon::join`.) `DLFS_THREADS=1` keeps `join` on the calling thread, the one-core
//! baseline (matrixmultiply's own threads ignore it: give `threading` `MATMUL_NUM_THREADS=1` too).

use std::hint::black_box;

use benches::{FLOPS_PER_SAMPLE, criterion_config, synthetic, tutorial_model};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn step(c: &mut Criterion) {
    let (x, y) = synthetic(32);
    let mut model = tutorial_model();
    let one_core = std::env::var("DLFS_THREADS").is_ok_and(|v| v.trim() == "1");
    let name = if one_core {
        format!("{}-1core", speed::VARIANT)
    } else {
        speed::VARIANT.to_string()
    };
    let mut group = c.benchmark_group("join");
    group.throughput(Throughput::Elements(32 * FLOPS_PER_SAMPLE));
    group.bench_function(BenchmarkId::new(name, 32), |bench| {
        bench.iter(|| {
            model
                .train_on_batch(black_box(&x), black_box(&y), None)
                .expect("valid batch")
        })
    });
    group.finish();
}

criterion_group! {
    name = join;
    config = criterion_config();
    targets = step
}
criterion_main!(join);
