//! Book 5.4.2 (`ch05/buy_apple_orange.py`): 2 apples and 3 oranges with tax, and the
//! gradient of the price with respect to every input (figure 5-17).
//!
//! ```python
//! apple = 100; apple_num = 2; orange = 150; orange_num = 3; tax = 1.1
//! apple_price = mul_apple_layer.forward(apple, apple_num)  # (1)
//! orange_price = mul_orange_layer.forward(orange, orange_num)  # (2)
//! all_price = add_apple_orange_layer.forward(apple_price, orange_price)  # (3)
//! price = mul_tax_layer.forward(all_price, tax)  # (4)
//! dprice = 1
//! dall_price, dtax = mul_tax_layer.backward(dprice)  # (4)
//! dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)  # (3)
//! dorange, dorange_num = mul_orange_layer.backward(dorange_price)  # (2)
//! dapple, dapple_num = mul_apple_layer.backward(dapple_price)  # (1)
//! print("price:", int(price))              # price: 715
//! print("dApple:", dapple)                 # dApple: 2.2
//! print("dApple_num:", int(dapple_num))    # dApple_num: 110
//! print("dOrange:", dorange)               # dOrange: 3.3000000000000003
//! print("dOrange_num:", int(dorange_num))  # dOrange_num: 165
//! print("dTax:", dtax)                     # dTax: 650
//! ```
//!
//! `dOrange` is `1.1 * 3` in binary floating point, which Python and Rust both print as
//! 3.3000000000000003 (the book's text rounds it to 3.3).
//!
//! Run: `cargo run -p ch05-backprop --example buy_apple_orange`

use ch05_backprop::graph::{AddLayer, MulLayer};

fn main() {
    let apple = 100.0;
    let apple_num = 2.0;
    let orange = 150.0;
    let orange_num = 3.0;
    let tax = 1.1;

    // layers
    let mut mul_apple_layer = MulLayer::new();
    let mut mul_orange_layer = MulLayer::new();
    let mut add_apple_orange_layer = AddLayer::new();
    let mut mul_tax_layer = MulLayer::new();

    // forward
    let apple_price = mul_apple_layer.forward(apple, apple_num); // (1)
    let orange_price = mul_orange_layer.forward(orange, orange_num); // (2)
    let all_price = add_apple_orange_layer.forward(apple_price, orange_price); // (3)
    let price = mul_tax_layer.forward(all_price, tax); // (4)

    // backward, in the reverse order
    let dprice = 1.0;
    let (dall_price, dtax) = mul_tax_layer.backward(dprice); // (4)
    let (dapple_price, dorange_price) = add_apple_orange_layer.backward(dall_price); // (3)
    let (dorange, dorange_num) = mul_orange_layer.backward(dorange_price); // (2)
    let (dapple, dapple_num) = mul_apple_layer.backward(dapple_price); // (1)

    println!("price: {}", price as i64);
    println!("dApple: {dapple}");
    println!("dApple_num: {}", dapple_num as i64);
    println!("dOrange: {dorange}");
    println!("dOrange_num: {}", dorange_num as i64);
    println!("dTax: {dtax}");
}
