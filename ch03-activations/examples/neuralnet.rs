//! Section 3.4: the three-layer network's forward pass with the book's fixed weights.
//!
//! ```python
//! network = init_network()
//! x = np.array([1.0, 0.5])
//! y = forward(network, x)
//! print(y)  # [ 0.31682708  0.69627909]
//! ```
//!
//! First it walks through the layers one by one as section 3.4.2 does in the interpreter,
//! then it calls `forward` as 3.4.3 does. Arrays are printed the way NumPy prints them.
//!
//! Run: `cargo run -p ch03-activations --example neuralnet`

use ch03_activations::neuralnet::{forward, init_network};
use ch03_activations::{identity_function, sigmoid};
use ndarray::{ArrayRef1, array};

/// NumPy's default array printing: at most 8 decimals, trailing zeros dropped, columns aligned.
fn numpy(a: &ArrayRef1<f64>) -> String {
    let parts: Vec<(String, String)> = a
        .iter()
        .map(|v| {
            let s = format!("{v:.8}");
            let s = s.trim_end_matches('0');
            let (int, frac) = s.split_once('.').unwrap_or((s, ""));
            (int.to_string(), format!(".{frac}"))
        })
        .collect();
    let wi = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
    let wf = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
    let cells: Vec<String> = parts
        .iter()
        .map(|(i, f)| format!("{i:>wi$}{f:<wf$}"))
        .collect();
    format!("[{}]", cells.join(" "))
}

fn main() {
    let network = init_network::<f64>();
    let x = array![1.0, 0.5];

    println!("3.4.2, layer by layer (x = {}):", numpy(&x));
    let a1 = x.dot(&network.w1) + &network.b1;
    let z1 = sigmoid(&a1);
    println!("A1 = {}", numpy(&a1));
    println!("Z1 = {}", numpy(&z1));
    let a2 = z1.dot(&network.w2) + &network.b2;
    let z2 = sigmoid(&a2);
    println!("A2 = {}", numpy(&a2));
    println!("Z2 = {}", numpy(&z2));
    let a3 = z2.dot(&network.w3) + &network.b3;
    let y_by_hand = identity_function(&a3);
    println!("A3 = {}", numpy(&a3));
    println!("Y  = {}", numpy(&y_by_hand));

    println!();
    println!("3.4.3, y = forward(network, x):");
    let y = forward(&network, &x);
    println!("{}", numpy(&y));
    assert_eq!(
        y, y_by_hand,
        "forward() is the same computation as the walk-through"
    );
}
