//! The numbers the book's chapter 5 scripts print (`ch05/buy_apple.py`,
//! `ch05/buy_apple_orange.py`), reproduced by the graph's nodes.

use ch05_backprop::{AddLayer, MulLayer};

/// `int(x)` in Python: truncation toward zero.
fn int(x: f64) -> i64 {
    x as i64
}

// python ch05/buy_apple.py
// price: 220
// dApple: 2.2
// dApple_num: 110
// dTax: 200
#[test]
fn buy_apple_prints_the_books_numbers() {
    let (apple, apple_num, tax) = (100.0, 2.0, 1.1);
    let mut mul_apple_layer = MulLayer::new();
    let mut mul_tax_layer = MulLayer::new();
    let apple_price = mul_apple_layer.forward(apple, apple_num);
    let price = mul_tax_layer.forward(apple_price, tax);
    let (dapple_price, dtax) = mul_tax_layer.backward(1.0);
    let (dapple, dapple_num) = mul_apple_layer.backward(dapple_price);
    assert_eq!(int(price), 220);
    assert_eq!(format!("{dapple}"), "2.2");
    assert_eq!(int(dapple_num), 110);
    assert_eq!(format!("{dtax}"), "200");
    // the multiply node kept its inputs for the swap
    assert_eq!((mul_apple_layer.x, mul_apple_layer.y), (100.0, 2.0));
}

// python ch05/buy_apple_orange.py
// price: 715
// dApple: 2.2
// dApple_num: 110
// dOrange: 3.3000000000000003
// dOrange_num: 165
// dTax: 650
#[test]
fn buy_apple_orange_prints_the_books_numbers() {
    let (apple, apple_num, orange, orange_num, tax) = (100.0, 2.0, 150.0, 3.0, 1.1);
    let mut mul_apple_layer = MulLayer::new();
    let mut mul_orange_layer = MulLayer::new();
    let mut add_apple_orange_layer = AddLayer::new();
    let mut mul_tax_layer = MulLayer::new();
    let apple_price = mul_apple_layer.forward(apple, apple_num);
    let orange_price = mul_orange_layer.forward(orange, orange_num);
    let all_price = add_apple_orange_layer.forward(apple_price, orange_price);
    let price = mul_tax_layer.forward(all_price, tax);
    let (dall_price, dtax) = mul_tax_layer.backward(1.0);
    let (dapple_price, dorange_price) = add_apple_orange_layer.backward(dall_price);
    let (dorange, dorange_num) = mul_orange_layer.backward(dorange_price);
    let (dapple, dapple_num) = mul_apple_layer.backward(dapple_price);
    assert_eq!(int(price), 715);
    assert_eq!(format!("{dapple}"), "2.2");
    assert_eq!(int(dapple_num), 110);
    assert_eq!(format!("{dorange}"), "3.3000000000000003");
    assert!((dorange - 3.3).abs() < 1e-15);
    assert_eq!(int(dorange_num), 165);
    assert_eq!(format!("{dtax}"), "650");
}

// Each node's local derivative, against central differences of its forward.
#[test]
fn mul_and_add_backward_are_the_partial_derivatives() {
    let (x, y, dout, h) = (3.7, -1.3, 0.6, 1e-6);
    let mut mul = MulLayer::new();
    mul.forward(x, y);
    let (dx, dy) = mul.backward(dout);
    let f = |x: f64, y: f64| dout * x * y;
    assert!((dx - (f(x + h, y) - f(x - h, y)) / (2.0 * h)).abs() < 1e-9);
    assert!((dy - (f(x, y + h) - f(x, y - h)) / (2.0 * h)).abs() < 1e-9);
    assert_eq!(AddLayer::new().backward(dout), (dout, dout));
}
