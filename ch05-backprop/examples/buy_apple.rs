//! Book 5.4.1 (`ch05/buy_apple.py`): the price of 2 apples with tax, and its gradients.
//!
//! ```python
//! apple = 100; apple_num = 2; tax = 1.1
//! mul_apple_layer = MulLayer(); mul_tax_layer = MulLayer()
//! apple_price = mul_apple_layer.forward(apple, apple_num)
//! price = mul_tax_layer.forward(apple_price, tax)
//! dprice = 1
//! dapple_price, dtax = mul_tax_layer.backward(dprice)
//! dapple, dapple_num = mul_apple_layer.backward(dapple_price)
//! print("price:", int(price))            # price: 220
//! print("dApple:", dapple)               # dApple: 2.2
//! print("dApple_num:", int(dapple_num))  # dApple_num: 110
//! print("dTax:", dtax)                   # dTax: 200
//! ```
//!
//! Run: `cargo run -p ch05-backprop --example buy_apple`

use ch05_backprop::graph::MulLayer;

fn main() {
    let apple = 100.0;
    let apple_num = 2.0;
    let tax = 1.1;

    let mut mul_apple_layer = MulLayer::new();
    let mut mul_tax_layer = MulLayer::new();

    // forward
    let apple_price = mul_apple_layer.forward(apple, apple_num);
    let price = mul_tax_layer.forward(apple_price, tax);

    // backward, from dprice = 1
    let dprice = 1.0;
    let (dapple_price, dtax) = mul_tax_layer.backward(dprice);
    let (dapple, dapple_num) = mul_apple_layer.backward(dapple_price);

    // `as i64` truncates like Python's int(): 220.00000000000003 -> 220
    println!("price: {}", price as i64);
    println!("dApple: {dapple}");
    println!("dApple_num: {}", dapple_num as i64);
    println!("dTax: {dtax}");
}
