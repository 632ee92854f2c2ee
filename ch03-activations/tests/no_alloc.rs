//! `forward_into` and `backward_into` sit on keras-lite's training hot path: they must not
//! allocate. A counting global allocator checks every activation in f32 and f64.
//!
//! It counts the allocations of the calling thread only, and that is all the work: the
//! activations run on the thread that calls them (ch03 starts no threads; the two-core
//! matrix products come in ch05). Counting per thread keeps out what the other tests of this
//! binary, running at the same time, allocate; so the count holds with `DLFS_THREADS=1`, a
//! busy machine, or `cargo test -p ch03-activations` alone.

use ch03_activations::Float;
use ch03_activations::keras::Activation;
use ndarray::Array2;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn check<A: Float>() {
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
        let n = allocations_during(|| {
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
    assert!(allocations_during(|| drop(Activation::Sigmoid.forward(&x))) > 0);
}

#[test]
fn forward_into_and_backward_into_allocate_nothing_f32() {
    check::<f32>();
}

#[test]
fn forward_into_and_backward_into_allocate_nothing_f64() {
    check::<f64>();
}
