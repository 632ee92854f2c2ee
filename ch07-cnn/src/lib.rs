//! # Chapter 7: convolutional neural networks
//!
//! Chapter 7 of 「ゼロから作るDeep Learning」 (Deep Learning from Scratch) stops flattening images.
//! An `Affine` layer sees 784 unrelated numbers; a **convolution** (7.2) slides small filters
//! over the image, so a pattern is detected wherever it is, with few weights (a 5x5 filter has
//! 25) shared by every position. **Pooling** (7.3) then keeps the largest response of each small
//! window: the output shrinks and a small shift of the input hardly changes it.
//!
//! - A convolution takes (N, C, H, W) input and filters (FN, C, FH, FW) to (N, FN, OH, OW)
//!   output, `OH = (H + 2 pad - FH) / stride + 1` (7.2.4); each output value is a window of
//!   the input times a filter, summed over channels and the window, plus a bias.
//! - Computed naively that is six nested loops. The book's trick (7.4.3) is **im2col**: copy
//!   every window into a row of a matrix, and the whole convolution becomes ONE matrix product
//!   (the same fast product `Affine` uses). Its backward is `Affine`'s backward on those rows,
//!   then **col2im**, which adds each row back onto the input positions it came from.
//! - `SimpleConvNet` (7.5) puts it together: Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine
//!   -> Softmax. Its first-layer filters learn edge and blob detectors (7.6).
//!
//! ## What im2col does
//!
//! ```text
//!   input (1 image, 1 channel, 4x4)       3x3 windows, stride 1        col (4 rows, 9 columns)
//!
//!    a b c d                               a b c   b c d               row (0,0): a b c e f g i j k
//!    e f g h        im2col                 e f g   f g h               row (0,1): b c d f g h j k l
//!    i j k l      ---------->              i j k   j k l               row (1,0): e f g i j k m n o
//!    m n o p                               (0,0)   (0,1)   ...         row (1,1): f g h j k l n o p
//!
//!   conv = col (4, 9) x W_col (9, FN) + b  ->  (4, FN): one output row per position, one
//!   column per filter. With C channels a row holds C windows side by side (columns (c, fh, fw)).
//! ```
//!
//! ## Book sections -> modules
//!
//! | book | what | here |
//! |---|---|---|
//! | 7.1 | the CNN's layers: Conv -> ReLU -> Pool | [`simple_conv_net`] (the whole network) |
//! | 7.2.1-7.2.7 | convolution: padding, stride, output size, channels, batches | [`convolution`] ([`Convolution`]), [`im2col::Conv2dGeometry`] |
//! | 7.2.3, 7.4.3 | the convolution computed from its definition, without `im2col`: thin windows (one channel, 3x3: im2col's 9-column product is slow) and unpadded wide ones (keras-lite's fast path) | [`direct`] |
//! | 7.3 | pooling | [`pooling`] ([`Pooling`], max as the book and average as Keras) |
//! | 7.4.1-7.4.2 | 4-D arrays, `im2col` as the idea | [`im2col`] |
//! | 7.4.3 | `im2col`/`col2im` (`common/util.py`) and the `Convolution` layer | [`im2col::im2col`], [`im2col::col2im`], [`Convolution`] |
//! | 7.4.4 | the `Pooling` layer | [`Pooling`] |
//! | 7.5 | `SimpleConvNet` and its training (`train_convnet.py`) | [`SimpleConvNet`], example `train_convnet` |
//! | 7.6.1 | first-layer weights before and after training (`visualize_filter.py`) | example `visualize_filter` |
//! | 7.6.2 | what a learned filter responds to (`apply_filter.py`) | example `apply_filter` |
//! | 7.7 | LeNet, AlexNet | history; `keras-lite`'s `Conv2D` builds such networks from these kernels |
//! | (5.7.3) | gradient check of the network (`gradient_check.py`) | example `ch07_gradient_check`, [`SimpleConvNet::numerical_gradient`] |
//!
//! ## Using it
//!
//! ```
//! use ch05_backprop::Mode;
//! use ch07_cnn::im2col::im2col;
//! use ch07_cnn::{Convolution, Pooling};
//! use ndarray::{Array1, Array4};
//!
//! // The book's 7.4.3: im2col of a (1, 3, 7, 7) input with 5x5 filters is (9, 75).
//! let x1 = Array4::<f64>::from_shape_fn((1, 3, 7, 7), |(_, c, h, w)| (c * 49 + h * 7 + w) as f64);
//! let col = im2col(&x1, 5, 5, 1, 0)?;
//! assert_eq!(col.dim(), (9, 75));
//! assert_eq!(col[[0, 1]], x1[[0, 0, 0, 1]]); // row (oh 0, ow 0), column (c 0, fh 0, fw 1)
//!
//! // Conv (2 filters 5x5) -> max pool 2x2: (1, 3, 7, 7) -> (1, 2, 3, 3) -> (1, 2, 1, 1).
//! let w = Array4::from_elem((2, 3, 5, 5), 0.01);
//! let mut conv = Convolution::new(w, Array1::zeros(2), 1, 0)?;
//! let mut pool = Pooling::new(2, 2, 2, 0);
//! let y = conv.forward(&x1, Mode::Train)?;
//! let z = pool.forward(&y, Mode::Train)?;
//! assert_eq!((y.dim(), z.dim()), ((1, 2, 3, 3), (1, 2, 1, 1)));
//!
//! // Backward in reverse order: the gradient reaches each filter weight.
//! let dy = pool.backward(&Array4::ones(z.raw_dim()));
//! conv.backward(&dy);
//! assert_eq!(conv.dw.dim(), (2, 3, 5, 5));
//! # Ok::<(), ch07_cnn::GeometryError>(())
//! ```
//!
//! ## NumPy in the book -> ndarray here
//!
//! | NumPy (book) | ndarray (this crate) |
//! |---|---|
//! | `x = np.random.rand(10, 1, 28, 28)`; `x[0, 0]` | `Array4::zeros((10, 1, 28, 28))`; `x.slice(s![0, 0, .., ..])` |
//! | `np.pad(input_data, [(0,0), (0,0), (pad, pad), (pad, pad)], 'constant')` | no padded copy: out-of-range window cells are written as 0 ([`im2col::Padding`]) |
//! | `col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]` | one row of `col` per output position, `copy_from_slice` per window row ([`im2col::im2col_into`]) |
//! | `col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)` | the rows are written in that order directly |
//! | `self.W.reshape(FN, -1).T` | [`convolution::w_col_view`] (a view, no copy) |
//! | `np.dot(col, col_W) + self.b` | [`convolution::conv_forward_rows`] (`speed::matmul_into`) |
//! | `out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)` | `rows.into_shape_with_order((n, oh, ow, fn_))?.permuted_axes([0, 3, 1, 2])` |
//! | `np.max(col, axis=1)`, `np.argmax(col, axis=1)` | [`pooling::max_pool_forward_into`] (the argmax kept as window indices) |
//! | `x.reshape(N, -1)` for the Affine layer | `x.into_shape_with_order((n, rest))` (free on a row-major array) |
//! | `pickle.dump(params, f)` (`save_params`) | [`SimpleConvNet::save_params`] (safetensors) |
//!
//! ## The interface keras-lite uses
//!
//! `keras-lite` keeps batches channels-last (NHWC) as rows; `x.into_shape_with_order((n, h, w,
//! c))?.permuted_axes([0, 3, 1, 2])` is the book's logical (N, C, H, W) over that memory, and
//! every kernel here takes such views of any strides:
//!
//! - [`im2col::Conv2dGeometry::new`]`((n, c, h, w), (fh, fw), (sh, sw), Padding { top, bottom,
//!   left, right })` (checked; [`im2col::Padding::same`] is Keras' "same"), with `out_h()`,
//!   `out_w()`, `col_shape()`, `with_batch(n)`.
//! - [`im2col::im2col_into`]`(x, &g, &mut col)` and [`im2col::col2im_into`]`(dcol, &g, dx_view)`:
//!   columns ordered (c, fh, fw); allocation-free at a fixed shape; two cores for big batches.
//! - [`im2col::im2col_channels_last_into`]`(x_nhwc, &g, &mut col)` and
//!   [`im2col::col2im_channels_last_into`]`(dcol, &g, dx_nhwc)`: the same on (N, H, W, C)
//!   views with columns ordered (fh, fw, c), Keras' kernel order: `W_col` is then Keras'
//!   kernel (KH, KW, C_in, C_out) reshaped to (KH*KW*C_in, C_out), no conversion, and each
//!   window row is one contiguous copy (the fast path for channels-last batches).
//! - [`convolution::conv_forward_rows`] / [`convolution::conv_backward_rows`]: the products on
//!   `(N*OH*OW, FN)` rows, which ARE channels-last memory; [`convolution::w_col_from_keras`] and
//!   [`convolution::keras_from_w_col`] convert Keras' (KH, KW, C_in, C_out) kernels.
//! - [`direct::conv_forward_direct_into`] / [`direct::conv_backward_direct`]: the same on
//!   row-major (N, H, W, C) input without `im2col`, for windows of at most
//!   [`direct::DIRECT_MAX_TAPS`] values ([`direct::use_direct`]); keras-lite's `Conv2D` takes
//!   this path for its first layer over a grey image.
//! - [`pooling::max_pool_forward_into`] (with the argmax), [`pooling::max_pool_backward_into`],
//!   [`pooling::avg_pool_forward_into`], [`pooling::avg_pool_backward_into`]: the window is the
//!   geometry's filter; padded cells never win a max and are not counted in an average.
//!
//! Everything is generic over [`Float`](ch03_activations::Float): the gradient checks run in
//! f64, training in f32. `cargo test -p ch07-cnn` checks every layer against central
//! differences, im2col against its nested-loop definition on every memory layout, col2im as
//! its adjoint, and the convolution against the six-loop definition.

pub mod convolution;
pub mod direct;
pub mod im2col;
pub mod pooling;
pub mod simple_conv_net;

pub use convolution::Convolution;
pub use im2col::{Conv2dGeometry, GeometryError, Padding};
pub use pooling::{PoolKind, Pooling};
pub use simple_conv_net::{SimpleConvNet, SimpleConvNetConfig};
