//! Trains the weights that chapter 3's `neuralnet_mnist` examples read (section 3.6), the
//! counterpart of the book's `ch03/sample_weight.pkl`, and writes them as a safetensors
//! file: a 784-50-100-10 network with sigmoid hidden layers (`MultiLayerNet`, Xavier init,
//! the book's `activation='sigmoid'`), trained on Fashion-MNIST by backprop and the book's
//! Adam (lr 0.001), mini-batches of 100 drawn at random (`np.random.choice`), 10 epochs of
//! 600 iterations, in float32 (the dtype of the book's pickle). Seeds: weights 0, batches 1.
//!
//! The book does not say how `sample_weight.pkl` was trained; this is one way, by the
//! methods of chapters 5 and 6. Chapter 3 reads the file with nothing but `safetensors`.
//!
//! The file in the repository was written by
//!
//! ```sh
//! cargo run --release -p ch06-optimizers-init --example train_sample_weight -- --save testdata/sample_weight.safetensors
//! ```
//!
//! and running that command again writes the same bytes (same SHA-256; checked on this
//! repository's x86-64 machine with AVX2 and FMA: `matrixmultiply` picks its kernel by CPU
//! at run time, so another CPU may round differently in the last bits). About 10 s here.
//! The file holds six float32 tensors `W1` (784, 50), `b1` (50,), `W2` (50, 100), `b2`
//! (100,), `W3` (100, 10), `b3` (10,): 45,360 parameters, 182 kB. It is written to a new
//! temporary file in the target's folder and then renamed over the target.
//!
//! Prints the train and test accuracy after each epoch, and the file it wrote.

mod common;

use ch03_activations::keras::Activation;
use ch03_activations::neuralnet_mnist::TENSOR_NAMES;
use ch04_loss_gradient::Labels;
use ch06_optimizers_init::book::Adam;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ch06_optimizers_init::weight_init::WeightInitStd;
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand::rngs::StdRng;
use safetensors::tensor::{Dtype, TensorView};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EPOCHS: usize = 10;
const BATCH_SIZE: usize = 100;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train_sample_weight: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let save: PathBuf = common::arg("--save", PathBuf::from("sample_weight.safetensors"));
    let data = common::load_fashion_mnist::<f32>();
    let mut config = NetConfig::new(784, vec![50, 100], 10);
    config.activation = Activation::Sigmoid;
    config.weight_init_std = WeightInitStd::Xavier;
    let mut network = config.build::<f32>(0)?;
    let mut optimizer = Adam::<f32>::default();
    let mut rng = StdRng::seed_from_u64(1);
    let mut x_batch = Array2::<f32>::zeros((BATCH_SIZE, 784));
    let mut t_batch = Array1::<usize>::zeros(BATCH_SIZE);
    let iter_per_epoch = data.x_train.nrows() / BATCH_SIZE;
    for epoch in 1..=EPOCHS {
        for _ in 0..iter_per_epoch {
            common::sample_batch(
                &data.x_train,
                &data.t_train,
                &mut x_batch,
                &mut t_batch,
                &mut rng,
            );
            network.gradient(&x_batch, Labels::Sparse(t_batch.view()))?;
            network.update(&mut optimizer);
        }
        let train_acc = network.accuracy(&data.x_train, Labels::Sparse(data.t_train.view()))?;
        let test_acc = network.accuracy(&data.x_test, Labels::Sparse(data.t_test.view()))?;
        println!("epoch {epoch}: train acc, test acc | {train_acc:.4}, {test_acc:.4}");
    }

    // W1, b1, W2, b2, W3, b3: the order in which the network visits its parameters.
    let mut tensors: Vec<(Vec<usize>, Vec<u8>)> = Vec::new();
    network.for_each_param(&mut |p| {
        let bytes = p.value.iter().flat_map(|v| v.to_le_bytes()).collect();
        tensors.push((p.value.shape().to_vec(), bytes));
    });
    let views = TENSOR_NAMES
        .iter()
        .zip(&tensors)
        .map(|(name, (shape, bytes))| {
            Ok((*name, TensorView::new(Dtype::F32, shape.clone(), bytes)?))
        })
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()?;
    let bytes = safetensors::serialize(views, None)?;
    write_new(&save, &bytes)?;
    println!("wrote {}", save.display());
    Ok(())
}

/// Writes `bytes` to an exclusively created temporary file beside `path`, then renames it
/// over `path`: a reader never sees half a file, and a failure leaves the old one whole.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    // tempfile creates the file readable by its owner only; a weights file is for everyone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
