//! The counting allocator counts what it should: the marked threads' allocations, not the
//! others', and not its observer's own.

use std::sync::atomic::{AtomicUsize, Ordering};
use test_support::alloc::{
    Counting, allocations, count_this_thread, gemm_calls, set_observer, start,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocate() {
    drop(std::hint::black_box(vec![1_u8; 16]));
}

static OBSERVED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn marked_threads_count_others_do_not() {
    let _turn = start();
    assert_eq!(allocations(allocate), 1, "the test's thread counts");
    assert_eq!(allocations(|| {}), 0);
    // A thread that does not mark itself is not counted (its start-up is not either: the
    // spawn's own allocations on this thread are, so measure only inside the thread's body).
    let unmarked = std::thread::spawn(|| allocations(allocate)).join().unwrap();
    assert_eq!(unmarked, 0, "an unmarked thread is not counted");
    let marked = std::thread::spawn(|| {
        count_this_thread();
        allocations(allocate)
    })
    .join()
    .unwrap();
    assert_eq!(marked, 1, "a thread that marked itself is counted");
}

#[test]
fn the_observer_sees_each_counted_allocation_and_its_own_are_not_counted() {
    let _turn = start();
    set_observer(|_kind, size| {
        if size == 12345 {
            OBSERVED.fetch_add(1, Ordering::SeqCst);
            // The observer's own allocation: neither counted nor observed again.
            drop(std::hint::black_box(vec![0_u8; 12345]));
        }
    })
    .unwrap();
    let n = allocations(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(12345))));
    assert_eq!(n, 1);
    assert_eq!(OBSERVED.load(Ordering::SeqCst), 1);
    assert!(
        set_observer(|_, _| ())
            .unwrap_err()
            .contains("already installed")
    );
}

#[test]
fn a_split_product_makes_two_gemm_calls() {
    // (5, 10) x (10, n) takes 2 * 5 * 10 * n flops.
    assert_eq!(gemm_calls(1000, 5, 10, 9), 1, "900 flops: below the split");
    assert_eq!(gemm_calls(1000, 5, 10, 10), 2, "1000 flops: cut in two");
}
