//! `save_weights` / `load_weights`: a model's weights in the safetensors format.
//!
//! Each weight is one tensor named `layer/weight`, as Keras names them (`dense/kernel`,
//! `dense/bias`, `dense_1/kernel`, ..., `batch_normalization/gamma`, `batch_normalization/beta`,
//! `batch_normalization/moving_mean`, `batch_normalization/moving_variance`), stored as little-endian `float32` in the layer's own
//! shape (a Dense kernel is `[inputs, units]`). The file opens in Python without keras-lite:
//!
//! ```text
//! >>> from safetensors.numpy import load_file
//! >>> w = load_file("model.weights.safetensors")
//! >>> w["dense/kernel"].shape
//! (784, 128)
//! ```
//!
//! The file's `__metadata__` (text that Python's loaders ignore) records the format, the
//! layers in model order with their weight names (`keras_lite.layers`), and a SHA-256 digest
//! of every tensor, so that loading catches not only a cut-off or garbled header (which the
//! safetensors parser refuses) but also flipped bits in the numbers themselves.
//!
//! **Writing is atomic**: the bytes go to a temporary file in the same directory, are flushed
//! to the disk, and only then renamed over the target. A crash or a full disk leaves either
//! the old file or the new one, never half of one.
//!
//! **Loading checks the architecture first** and changes nothing unless everything fits:
//! layers are matched in order, like Keras' `load_weights` (so a model whose layers got other
//! automatic names, `dense_2` instead of `dense`, still loads), and the first difference (a
//! missing or extra layer, another weight name, another shape) is an error naming both sides.
//! A file without keras-lite's metadata (written by another program) is matched by tensor name.

use crate::error::{KerasError, Result, shape_str};
use crate::layers::Layer;
use crate::sequential::Sequential;
use ndarray::{ArrayD, IxDyn};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The value of the `format` metadata entry keras-lite writes.
pub const FORMAT: &str = "keras-lite";

/// Metadata key: the layers in model order with their weight names, as JSON
/// (`[["dense", ["kernel", "bias"]], ["dense_1", ["kernel", "bias"]]]`).
pub const LAYERS_KEY: &str = "keras_lite.layers";

/// Metadata key prefix of each tensor's SHA-256 (hex) digest: `sha256:dense/kernel`.
pub const DIGEST_PREFIX: &str = "sha256:";

/// One named weight array, as it is stored: `("dense/kernel", array)`.
pub type NamedTensor = (String, ArrayD<f32>);

/// The layers of a saved model in order, each with its weight names:
/// `[("dense", ["kernel", "bias"]), ...]`.
pub type LayerOrder = Vec<(String, Vec<String>)>;

/// The weights of one layer, in the layer's order (Dense: `kernel`, then `bias`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// The layer's name (`dense_1`).
    pub layer: String,
    /// `(weight name, array)`: `("kernel", [in, units])`, `("bias", [units])`.
    pub weights: Vec<(String, ArrayD<f32>)>,
}

/// Keras' names for the weights of a layer, in `get_weights` order (empty for layers
/// without weights).
pub fn weight_names(layer: &Layer) -> Vec<&'static str> {
    layer.weight_names()
}

/// The model's weights grouped by layer, in model order (layers without weights skipped).
pub fn model_weights(model: &mut Sequential) -> Result<Vec<LayerWeights>> {
    model.get_weights()?; // builds the model (or says why it cannot)
    Ok(model
        .layers()
        .iter()
        .filter_map(|layer| {
            let names = weight_names(layer);
            if names.is_empty() {
                return None;
            }
            let arrays = layer.get_weights();
            debug_assert_eq!(names.len(), arrays.len());
            Some(LayerWeights {
                layer: layer.name().to_string(),
                weights: names.iter().map(|n| n.to_string()).zip(arrays).collect(),
            })
        })
        .collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn f32_bytes(a: &ArrayD<f32>) -> Vec<u8> {
    // `iter` walks in logical (row-major, "C") order, which is what safetensors stores.
    a.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The bytes of a safetensors file holding `layers` (tensor names `layer/weight`), with
/// keras-lite's metadata (layer order and per-tensor SHA-256).
pub fn serialize(layers: &[LayerWeights]) -> Result<Vec<u8>> {
    let mut data: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut metadata = HashMap::new();
    let mut order = Vec::new();
    for lw in layers {
        let mut names = Vec::new();
        for (w, a) in &lw.weights {
            let name = format!("{}/{}", lw.layer, w);
            if data.iter().any(|(n, _, _)| *n == name) {
                return Err(KerasError::Weights(format!(
                    "two weights are both named {name:?}; give the layers distinct names \
                     before saving (Dense::new(10).name(\"...\"))"
                )));
            }
            let bytes = f32_bytes(a);
            metadata.insert(
                format!("{DIGEST_PREFIX}{name}"),
                hex(&Sha256::digest(&bytes)),
            );
            names.push(w.clone());
            data.push((name, a.shape().to_vec(), bytes));
        }
        order.push(serde_json::json!([lw.layer, names]));
    }
    metadata.insert("format".to_string(), FORMAT.to_string());
    metadata.insert(
        LAYERS_KEY.to_string(),
        serde_json::Value::from(order).to_string(),
    );
    let views = data
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| KerasError::Weights(format!("tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(metadata))
        .map_err(|e| KerasError::Weights(format!("could not encode the weights: {e}")))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to
/// the disk, then renamed over `path` (the old file stays whole until the rename).
///
/// The temporary file is created exclusively (`O_EXCL`) under a random name, so a file or
/// symlink planted in the folder is never written through; it gets the permissions of the
/// file it replaces (a new file gets `0666` less the umask, as `File::create` gives). A
/// failed write removes it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |p: &Path, source: std::io::Error| KerasError::Io {
        path: p.display().to_string(),
        source,
    };
    let file_name = path.file_name().ok_or_else(|| {
        KerasError::InvalidArgument(format!(
            "{}: not a file path; give a file name such as model.weights.safetensors",
            path.display()
        ))
    })?;
    if path.is_dir() {
        return Err(KerasError::InvalidArgument(format!(
            "{} is a directory; give a file name inside it, such as {}",
            path.display(),
            path.join("model.weights.safetensors").display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    // Hidden, and recognisably ours if a crash leaves it behind: `.w.safetensors.XXXXXXXX.tmp`.
    let mut builder = tempfile::Builder::new();
    let prefix = format!(".{}.", file_name.to_string_lossy());
    builder.prefix(&prefix).suffix(".tmp").rand_bytes(8);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(&dir).map_err(|e| io(&dir, e))?;
    let shown = tmp.path().to_path_buf();
    if let Ok(old) = fs::metadata(path) {
        fs::set_permissions(&shown, old.permissions()).map_err(|e| io(&shown, e))?;
    }
    tmp.write_all(bytes).map_err(|e| io(&shown, e))?;
    tmp.as_file().sync_all().map_err(|e| io(&shown, e))?;
    // On error `persist` hands the file back, and dropping it removes it.
    tmp.persist(path).map_err(|e| io(path, e.error))?;
    sync_dir(&dir);
    Ok(())
}

/// Makes renames in `dir` durable (best effort: not every file system allows it).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads a safetensors file of `float32` tensors: `(layer order from the metadata, if the
/// file is keras-lite's; the tensors by name)`. Every way a file can be damaged is an error:
/// a truncated or garbled file, another dtype, a digest that does not match.
pub fn read_tensors(path: &Path) -> Result<(Option<LayerOrder>, Vec<NamedTensor>)> {
    let bytes = fs::read(path).map_err(|source| KerasError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_tensors(&bytes, &path.display().to_string())
}

/// [`read_tensors`] on bytes in memory; `what` names them in errors.
pub fn parse_tensors(bytes: &[u8], what: &str) -> Result<(Option<LayerOrder>, Vec<NamedTensor>)> {
    let corrupt = |why: String| {
        KerasError::Weights(format!(
            "{what} is not a readable weights file ({why}); it is truncated, damaged or not a \
             safetensors file: save the weights again (model.save_weights)"
        ))
    };
    let st = SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| corrupt(e.to_string()))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    let mut tensors = Vec::new();
    for (name, view) in st.iter() {
        if view.dtype() != Dtype::F32 {
            return Err(KerasError::Weights(format!(
                "{what}: tensor {name:?} has dtype {:?}; keras-lite weights are float32 \
                 (convert it, e.g. numpy's .astype('float32'), before loading)",
                view.dtype()
            )));
        }
        if let Some(expected) = meta.get(&format!("{DIGEST_PREFIX}{name}")) {
            let got = hex(&Sha256::digest(view.data()));
            if &got != expected {
                return Err(corrupt(format!(
                    "the numbers of tensor {name:?} do not match their SHA-256 digest"
                )));
            }
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let array = ArrayD::from_shape_vec(IxDyn(view.shape()), values)
            .map_err(|e| corrupt(format!("tensor {name:?}: {e}")))?;
        tensors.push((name.to_string(), array));
    }
    let order = match meta.get(LAYERS_KEY) {
        None => None,
        Some(text) => Some(parse_layer_order(text).ok_or_else(|| {
            corrupt(format!(
                "its {LAYERS_KEY} metadata is not a list of [layer, [weights]]"
            ))
        })?),
    };
    Ok((order, tensors))
}

fn parse_layer_order(text: &str) -> Option<LayerOrder> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.as_array()?
        .iter()
        .map(|entry| {
            let pair = entry.as_array()?;
            let layer = pair.first()?.as_str()?.to_string();
            let names = pair
                .get(1)?
                .as_array()?
                .iter()
                .map(|n| n.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?;
            Some((layer, names))
        })
        .collect()
}

fn list(names: impl IntoIterator<Item = String>) -> String {
    let v: Vec<String> = names.into_iter().collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Puts the file's tensors in the order of `model` (one array per weight, as `set_weights`
/// takes them), or names the first difference between the two architectures.
pub fn match_to_model(
    model: &[LayerWeights],
    order: Option<&[(String, Vec<String>)]>,
    tensors: &[NamedTensor],
    what: &str,
) -> Result<Vec<ArrayD<f32>>> {
    let by_name: HashMap<&str, &ArrayD<f32>> =
        tensors.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let mismatch = |msg: String| {
        KerasError::Weights(format!(
            "{what} does not fit this model: {msg}. load_weights needs a model built like the \
             one that saved the file (same layers, units and input shape)"
        ))
    };
    let mut out = Vec::new();
    match order {
        Some(order) => {
            // Keras' rule for its own files: layers with weights are matched in order.
            for (i, lw) in model.iter().enumerate() {
                let Some((file_layer, file_names)) = order.get(i) else {
                    return Err(mismatch(format!(
                        "the model's layer with weights #{} ({}) has no counterpart: the file \
                         holds {} such layers ({}), the model {} ({})",
                        i + 1,
                        lw.layer,
                        order.len(),
                        list(order.iter().map(|(l, _)| l.clone())),
                        model.len(),
                        list(model.iter().map(|l| l.layer.clone()))
                    )));
                };
                let model_names: Vec<&str> = lw.weights.iter().map(|(n, _)| n.as_str()).collect();
                if model_names != file_names.iter().map(String::as_str).collect::<Vec<_>>() {
                    return Err(mismatch(format!(
                        "layer #{} is {} with weights [{}] in the model but {} with weights \
                         [{}] in the file",
                        i + 1,
                        lw.layer,
                        model_names.join(", "),
                        file_layer,
                        file_names.join(", ")
                    )));
                }
                for (w, a) in &lw.weights {
                    let key = format!("{file_layer}/{w}");
                    let Some(t) = by_name.get(key.as_str()) else {
                        return Err(mismatch(format!(
                            "the file lists {key} but has no such tensor"
                        )));
                    };
                    if t.shape() != a.shape() {
                        return Err(mismatch(format!(
                            "{}/{w} has shape {} in the model but {key} has shape {} in the file",
                            lw.layer,
                            shape_str(a.shape()),
                            shape_str(t.shape())
                        )));
                    }
                    out.push((*t).clone());
                }
            }
            if order.len() > model.len() {
                let extra = &order[model.len()];
                return Err(mismatch(format!(
                    "the file has {} layers with weights ({}) but the model only {} ({}); the \
                     first extra one is {}",
                    order.len(),
                    list(order.iter().map(|(l, _)| l.clone())),
                    model.len(),
                    list(model.iter().map(|l| l.layer.clone())),
                    extra.0
                )));
            }
        }
        None => {
            // A file from elsewhere: match by tensor name.
            let mut used = 0;
            for lw in model {
                for (w, a) in &lw.weights {
                    let key = format!("{}/{w}", lw.layer);
                    let Some(t) = by_name.get(key.as_str()) else {
                        return Err(mismatch(format!(
                            "the model has {key} but the file has no tensor of that name (it \
                             has {})",
                            list(tensors.iter().map(|(n, _)| n.clone()))
                        )));
                    };
                    if t.shape() != a.shape() {
                        return Err(mismatch(format!(
                            "{key} has shape {} in the model but {} in the file",
                            shape_str(a.shape()),
                            shape_str(t.shape())
                        )));
                    }
                    used += 1;
                    out.push((*t).clone());
                }
            }
            if used != tensors.len() {
                let expected: Vec<String> = model
                    .iter()
                    .flat_map(|lw| {
                        lw.weights
                            .iter()
                            .map(move |(w, _)| format!("{}/{w}", lw.layer))
                    })
                    .collect();
                let extra = tensors
                    .iter()
                    .map(|(n, _)| n)
                    .find(|n| !expected.contains(n))
                    .cloned()
                    .unwrap_or_default();
                return Err(mismatch(format!(
                    "the file has {} tensors but the model {}; the first one the model does not \
                     have is {extra}",
                    tensors.len(),
                    used
                )));
            }
        }
    }
    Ok(out)
}

impl Sequential {
    /// Saves every weight to `path` in the safetensors format (see [`crate::weights_io`]):
    /// tensors `dense/kernel`, `dense/bias`, ..., written atomically.
    ///
    /// Errors: the model is not built yet (no input shape), two layers share a name, or the
    /// file cannot be written.
    pub fn save_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let layers = model_weights(self)?;
        let bytes = serialize(&layers)?;
        write_atomic(path.as_ref(), &bytes)
    }

    /// Loads weights saved by [`Sequential::save_weights`] (or any safetensors file with
    /// `float32` tensors named `layer/weight`). Nothing changes unless the whole file fits:
    /// a model of another architecture is an error naming the first difference, a truncated
    /// or damaged file an error saying so.
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let (order, tensors) = read_tensors(path)?;
        let model = model_weights(self)?;
        let arrays = match_to_model(
            &model,
            order.as_deref(),
            &tensors,
            &path.display().to_string(),
        )?;
        self.set_weights(&arrays)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, array};

    fn layer(name: &str, k: ArrayD<f32>, b: ArrayD<f32>) -> LayerWeights {
        LayerWeights {
            layer: name.into(),
            weights: vec![("kernel".into(), k), ("bias".into(), b)],
        }
    }

    fn two_layers() -> Vec<LayerWeights> {
        vec![
            layer(
                "dense",
                Array::from_shape_fn((3, 2), |(i, j)| i as f32 - 0.5 * j as f32).into_dyn(),
                array![0.25f32, -1.0].into_dyn(),
            ),
            layer(
                "dense_1",
                array![[1.5f32], [-2.0]].into_dyn(),
                array![0.125f32].into_dyn(),
            ),
        ]
    }

    #[test]
    fn round_trip_keeps_names_shapes_values_and_order() {
        let layers = two_layers();
        let bytes = serialize(&layers).unwrap();
        let (order, tensors) = parse_tensors(&bytes, "mem").unwrap();
        let order = order.unwrap();
        assert_eq!(
            order,
            vec![
                (
                    "dense".to_string(),
                    vec!["kernel".to_string(), "bias".to_string()]
                ),
                (
                    "dense_1".to_string(),
                    vec!["kernel".to_string(), "bias".to_string()]
                ),
            ]
        );
        let arrays = match_to_model(&layers, Some(&order), &tensors, "mem").unwrap();
        let expected: Vec<ArrayD<f32>> = layers
            .iter()
            .flat_map(|l| l.weights.iter().map(|(_, a)| a.clone()))
            .collect();
        assert_eq!(arrays, expected);
        // Tensor names are Keras' layer/weight form.
        let mut names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "dense/bias",
                "dense/kernel",
                "dense_1/bias",
                "dense_1/kernel"
            ]
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = serialize(&two_layers()).unwrap();
        for cut in [0, 3, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            let err = parse_tensors(&bytes[..cut], "f").unwrap_err().to_string();
            assert!(err.contains("truncated, damaged"), "cut {cut}: {err}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(parse_tensors(&longer, "f").is_err());
    }

    #[test]
    fn a_flipped_bit_in_the_numbers_is_caught_by_the_digest() {
        let bytes = serialize(&two_layers()).unwrap();
        let mut bad = bytes.clone();
        let last = bad.len() - 2; // inside the data section (the last tensor's bytes)
        bad[last] ^= 0x10;
        let err = parse_tensors(&bad, "f").unwrap_err().to_string();
        assert!(err.contains("SHA-256"), "{err}");
        // A garbled header is caught by the parser.
        let mut bad = bytes;
        bad[10] = b'!';
        assert!(parse_tensors(&bad, "f").is_err());
    }

    #[test]
    fn mismatches_name_the_first_difference() {
        let layers = two_layers();
        let bytes = serialize(&layers).unwrap();
        let (order, tensors) = parse_tensors(&bytes, "w.safetensors").unwrap();
        let order = order.unwrap();

        // another number of units in the first layer
        let mut other = two_layers();
        other[0].weights[0].1 = ArrayD::zeros(IxDyn(&[3, 4]));
        let err = match_to_model(&other, Some(&order), &tensors, "w.safetensors")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "dense/kernel has shape (3, 4) in the model but dense/kernel has shape (3, 2)"
            ),
            "{err}"
        );

        // one layer fewer in the model
        let err = match_to_model(&layers[..1], Some(&order), &tensors, "w")
            .unwrap_err()
            .to_string();
        assert!(err.contains("first extra one is dense_1"), "{err}");

        // one layer more in the model
        let mut more = two_layers();
        more.push(layer(
            "dense_2",
            ArrayD::zeros(IxDyn(&[1, 1])),
            ArrayD::zeros(IxDyn(&[1])),
        ));
        let err = match_to_model(&more, Some(&order), &tensors, "w")
            .unwrap_err()
            .to_string();
        assert!(err.contains("#3 (dense_2) has no counterpart"), "{err}");

        // a layer without bias where the file has one
        let mut nobias = two_layers();
        nobias[1].weights.pop();
        let err = match_to_model(&nobias, Some(&order), &tensors, "w")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("weights [kernel] in the model but dense_1 with weights [kernel, bias]"),
            "{err}"
        );
    }

    #[test]
    fn layers_are_matched_by_position_not_by_automatic_name() {
        let bytes = serialize(&two_layers()).unwrap();
        let (order, tensors) = parse_tensors(&bytes, "w").unwrap();
        let mut renamed = two_layers();
        renamed[0].layer = "dense_7".into();
        renamed[1].layer = "dense_8".into();
        let arrays = match_to_model(&renamed, order.as_deref(), &tensors, "w").unwrap();
        assert_eq!(arrays[2], array![[1.5f32], [-2.0]].into_dyn());
    }

    #[test]
    fn foreign_files_are_matched_by_name() {
        let layers = two_layers();
        let views: Vec<(String, Vec<u8>, Vec<usize>)> = layers
            .iter()
            .flat_map(|l| {
                l.weights.iter().map(move |(w, a)| {
                    (format!("{}/{w}", l.layer), f32_bytes(a), a.shape().to_vec())
                })
            })
            .collect();
        let tv: Vec<(String, TensorView<'_>)> = views
            .iter()
            .map(|(n, b, s)| {
                (
                    n.clone(),
                    TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
                )
            })
            .collect();
        let bytes = safetensors::serialize(tv, None).unwrap();
        let (order, tensors) = parse_tensors(&bytes, "py").unwrap();
        assert!(order.is_none());
        let arrays = match_to_model(&layers, None, &tensors, "py").unwrap();
        assert_eq!(arrays[1], array![0.25f32, -1.0].into_dyn());
        let mut renamed = two_layers();
        renamed[1].layer = "output".into();
        let err = match_to_model(&renamed, None, &tensors, "py")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the model has output/kernel but the file has no tensor"),
            "{err}"
        );
    }

    #[test]
    fn other_dtypes_are_refused_with_the_fix() {
        let data = [0u8; 8];
        let tv = vec![(
            "dense/kernel".to_string(),
            TensorView::new(Dtype::F64, vec![1], &data).unwrap(),
        )];
        let bytes = safetensors::serialize(tv, None).unwrap();
        let err = parse_tensors(&bytes, "f").unwrap_err().to_string();
        assert!(err.contains("float32"), "{err}");
    }

    #[test]
    fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("kl-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("sub/w.safetensors");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        let names: Vec<String> = fs::read_dir(dir.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["w.safetensors"]);
        // A replaced file keeps its permissions; a new one gets File::create's (not 0600).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
            write_atomic(&path, b"third").unwrap();
            assert_eq!(mode(&path), 0o640);
            let reference = dir.join("reference");
            fs::File::create(&reference).unwrap();
            let fresh = dir.join("fresh");
            write_atomic(&fresh, b"x").unwrap();
            assert_eq!(mode(&fresh), mode(&reference));
            fs::remove_file(reference).unwrap();
            fs::remove_file(fresh).unwrap();
            write_atomic(&path, b"second, longer").unwrap();
        }
        // A failed write (the target is a directory) keeps everything as it was.
        let err = write_atomic(&dir.join("sub"), b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a directory"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        fs::remove_dir_all(&dir).unwrap();
    }
}
