//! `Loss::per_sample_into` and `reduce` allocate nothing: they run on every training step of
//! keras-lite. A counting global allocator checks it for every loss and both kinds of labels.
//!
//! The allocator is `test_support::alloc`'s. It counts the allocations of the test's thread
//! only, and that is all the work: the losses of this chapter run on the thread that calls
//! them (ch04 starts no threads; the two-core matrix products come in ch05). Whatever the
//! test harness's other threads allocate meanwhile is not counted, so the count holds with
//! `DLFS_THREADS=1` or a busy machine.

use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::{LOSS_NAMES, Loss, reduce};
use ndarray::{Array1, Array2};
use test_support::alloc::{Counting, count, start};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn per_sample_into_and_reduce_allocate_nothing() {
    let _turn = start();
    let (n, d) = (32, 10);
    let y_pred = Array2::from_shape_fn((n, d), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0);
    let one_hot = Array2::from_shape_fn((n, d), |(i, j)| f32::from(j == i % d));
    let classes = Array1::from_shape_fn(n, |i| i % d);
    let weights = Array1::from_elem(n, 0.5_f32);
    let mut out = Array1::<f32>::zeros(n);
    // The counter sees allocations (so a zero difference below means something).
    let before = count();
    let probe = std::hint::black_box(vec![1_u8; 16]);
    assert!(count() > before);
    drop(probe);
    let mut losses: Vec<Loss> = LOSS_NAMES.iter().map(|(_, l)| *l).collect();
    losses.push(Loss::CategoricalCrossentropy {
        from_logits: true,
        label_smoothing: 0.1,
    });
    losses.push(Loss::BinaryCrossentropy {
        from_logits: true,
        label_smoothing: 0.1,
    });
    losses.push(Loss::SparseCategoricalCrossentropy { from_logits: true });
    for loss in &losses {
        let labels = match loss {
            Loss::SparseCategoricalCrossentropy { .. } => Labels::Sparse(classes.view()),
            _ => Labels::Dense(one_hot.view()),
        };
        let before = count();
        loss.per_sample_into(labels, &y_pred, &mut out).unwrap();
        let value = reduce(&out, Some(&weights));
        let after = count();
        assert!(value.is_finite(), "{loss:?}");
        assert_eq!(after, before, "{loss:?} allocated {} times", after - before);
    }
    // Sparse labels for categorical_crossentropy take the one-hot path: also allocation-free.
    let cce = Loss::CategoricalCrossentropy {
        from_logits: false,
        label_smoothing: 0.0,
    };
    let before = count();
    cce.per_sample_into(Labels::Sparse(classes.view()), &y_pred, &mut out)
        .unwrap();
    assert_eq!(count(), before);
}
