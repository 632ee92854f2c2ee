//! The computational graph of book 5.3-5.4: a multiply node and an add node, on scalars.
//!
//! Buying 2 apples at 100 yen with 10% tax is the graph `price = (apple * apple_num) * tax`.
//! Running it forward gives the price; running it backward from `dprice = 1` gives how much
//! the price moves per unit change of every input (book figure 5-16):
//!
//! ```text
//! node      forward        backward (dout is what arrives from the right)
//! x * y     x * y          dx = dout * y,  dy = dout * x     (swap the inputs)
//! x + y     x + y          dx = dout,      dy = dout         (pass it through)
//! ```
//!
//! The multiply node must remember `x` and `y` from forward, because backward needs them:
//! the whole of chapter 5 in two fields.
//!
//! ```
//! use ch05_backprop::graph::MulLayer;
//! let (mut mul_apple, mut mul_tax) = (MulLayer::new(), MulLayer::new());
//! let apple_price = mul_apple.forward(100.0, 2.0);
//! let price = mul_tax.forward(apple_price, 1.1);
//! let (dapple_price, dtax) = mul_tax.backward(1.0);
//! let (dapple, dapple_num) = mul_apple.backward(dapple_price);
//! assert_eq!(price as i64, 220); // the book's int(price)
//! assert_eq!((dapple, dapple_num as i64, dtax), (2.2, 110, 200.0));
//! ```

/// The multiply node: `out = x * y`; keeps `x` and `y` for the backward swap.
///
/// ```python
/// class MulLayer:
///     def forward(self, x, y):
///         self.x = x
///         self.y = y
///         return x * y
///     def backward(self, dout):
///         dx = dout * self.y  # x and y swap places
///         dy = dout * self.x
///         return dx, dy
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MulLayer {
    /// The `x` of the last forward.
    pub x: f64,
    /// The `y` of the last forward.
    pub y: f64,
}

impl MulLayer {
    /// A multiply node (nothing kept yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// `x * y`, keeping both inputs.
    pub fn forward(&mut self, x: f64, y: f64) -> f64 {
        self.x = x;
        self.y = y;
        x * y
    }

    /// `(dout * y, dout * x)`: the upstream gradient times the *other* input.
    pub fn backward(&self, dout: f64) -> (f64, f64) {
        (dout * self.y, dout * self.x)
    }
}

/// The add node: `out = x + y`; backward passes `dout` unchanged to both inputs, so it keeps
/// nothing.
///
/// ```python
/// class AddLayer:
///     def forward(self, x, y):
///         return x + y
///     def backward(self, dout):
///         return dout * 1, dout * 1
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddLayer;

impl AddLayer {
    /// An add node.
    pub fn new() -> Self {
        AddLayer
    }

    /// `x + y`.
    pub fn forward(&mut self, x: f64, y: f64) -> f64 {
        x + y
    }

    /// `(dout, dout)`: d(x + y)/dx = d(x + y)/dy = 1.
    pub fn backward(&self, dout: f64) -> (f64, f64) {
        (dout, dout)
    }
}
