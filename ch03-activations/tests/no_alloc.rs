//! `forward_into` and `backward_into` sit on keras-lite's training hot path: they must not
//! allocate. A counting global allocator checks every activation in f32 and f64.
//!
//! The allocator is `test_support::alloc`'s. It counts the allocations of the test's thread
//! only, and that is all the work: the activations run on the thread that calls them (ch03
//! starts no threads; the two-core matrix products come in ch05). The other threads of the
//! harness are not counted, and the tests take turns (`start`), so the count holds with
//! `DLFS_THREADS=1`, a busy machine, or `cargo test -p ch03-activations` alone.

use ch03_activations::Float;
use ch03_activations::keras::Activation;
use ndarray::Array2;
use test_support::alloc::{Counting, allocations, start};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn check<A: Float>() {
    let _turn = start();
    let x = Array2::from_shape_fn((32, 10), |(i, j)| {
        A::of((i as f64 - 16.0) * 0.3 + j as f64 * 0.1)
    });
    let dy = Array2::from_shape_fn((32, 10), |(i, j)| A::of(((i * 7 + j) % 5) as f64 - 2.0));
    let mut y = Array2::zeros((32, 10));
    let mut dx = Array2::zeros((32, 10));
    let mut acts: Vec<Activation> = Activation::all().collect();
    acts.push(Activation::Relu {
        alpha: 0.1,
        max_value: Some(4.0),
        threshold: 0.5,
    });
    acts.push(Activation::Gelu { approximate: true });
    for act in acts {
        let n = allocations(|| {
            act.forward_into(&x, &mut y);
            act.backward_into(&x, &y, &dy, &mut dx);
        });
        assert_eq!(n, 0, "{act} allocated {n} times");
        // and a transposed (column-major) view gives what its contiguous copy gives
        let xt = x.t();
        let mut yt = Array2::zeros((10, 32));
        act.forward_into(&xt, &mut yt);
        assert_eq!(
            yt,
            act.forward(&xt.to_owned()),
            "{act} on a transposed view"
        );
    }
    // the counter does count: an allocating call is seen
    assert!(allocations(|| drop(Activation::Sigmoid.forward(&x))) > 0);
}

#[test]
fn forward_into_and_backward_into_allocate_nothing_f32() {
    check::<f32>();
}

#[test]
fn forward_into_and_backward_into_allocate_nothing_f64() {
    check::<f64>();
}
