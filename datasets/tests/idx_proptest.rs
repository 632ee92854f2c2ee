//! Properties of the IDX reader: arbitrary bytes (plain, gzip-wrapped, or behind a valid
//! header) always give `Ok` or `Err`, never a panic or an abort; and encode/decode is the
//! identity for any shape.

mod common;

use datasets::idx::{self, IdxData};
use ndarray::{ArrayD, Dimension, IxDyn};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = idx::decode(&bytes, "arbitrary");
    }

    #[test]
    fn arbitrary_gzip_content_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = idx::decode(&common::gzip(&bytes), "arbitrary.gz");
    }

    #[test]
    fn gzip_magic_followed_by_garbage_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = idx::GZIP_MAGIC.to_vec();
        bytes.extend(tail);
        let _ = idx::decode(&bytes, "garbage.gz");
    }

    /// A plausible header (zero magic, a real type, small rank, any sizes) over arbitrary data:
    /// the reader must check sizes against the data, never trust them.
    #[test]
    fn valid_header_over_arbitrary_data_never_panics(
        code in prop::sample::select(vec![0x08u8, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]),
        dims in proptest::collection::vec(any::<u32>(), 0..5),
        data in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut bytes = vec![0, 0, code, dims.len() as u8];
        for d in &dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&data);
        let declared: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
        if let Ok(d) = idx::decode(&bytes, "h") {
            prop_assert_eq!(d.shape(), declared.as_slice());
        }
    }

    #[test]
    fn encode_then_decode_is_identity(
        shape in proptest::collection::vec(0usize..5, 0..5),
        seed in any::<u8>(),
        gz in any::<bool>(),
    ) {
        let a = ArrayD::from_shape_fn(IxDyn(&shape), |ix: IxDyn| {
            ix.as_array_view().iter().fold(seed, |acc, &i| acc.wrapping_mul(31).wrapping_add(i as u8))
        });
        let bytes = idx::encode(&a).unwrap();
        let bytes = if gz { common::gzip(&bytes) } else { bytes };
        prop_assert_eq!(idx::decode(&bytes, "rt").unwrap(), IdxData::U8(a));
    }
}
