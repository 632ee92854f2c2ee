"""Reference values from TensorFlow's Keras 2 (tf_keras) for keras-lite's parity tests.

Pinned versions (float32, CPU):
    python3 -m venv .venv-tf && . .venv-tf/bin/activate
    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
Usage (from the repository root; about 15 s on 2 cores, most of it importing TensorFlow):
    python testdata/make_parity.py --seed 7 --out testdata/keras2_parity.json \
        --cnn-out testdata/keras2_cnn_parity.json
Different seeds give different, equally valid fixtures; `--out` alone writes only the dense
fixture, `--cnn-out` alone only the convolution/pooling one. The dense part draws from its own
generator seeded with SEED exactly as before the CNN part existed, so seed 7 reproduces
keras2_parity.json; the CNN part draws from a second generator seeded with (SEED, 16)."""
import argparse, json
import numpy as np
import tensorflow as tf
import tf_keras as keras

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--out", help="the dense fixture (activations, losses, optimizers, fit)")
ap.add_argument("--cnn-out", help="the convolution and pooling fixture")
args = ap.parse_args()
if not args.out and not args.cnn_out:
    ap.error("give --out, --cnn-out or both")
seed = args.seed; out = args.out
rng = np.random.default_rng(seed)
f32 = lambda a: np.asarray(a, dtype=np.float32)
L = lambda a: np.asarray(a, dtype=np.float64).tolist()
fx = {"generator": "tf_keras " + keras.__version__ + " on tensorflow " + tf.__version__, "seed": seed}

# activations on a grid that crosses every kink
x = f32(np.concatenate([np.linspace(-6, 6, 49), rng.normal(0, 3, 15)]))
acts = {}
for name in ["relu", "sigmoid", "tanh", "softplus", "softsign", "elu", "selu", "hard_sigmoid",
             "linear", "exponential", "swish", "gelu", "mish", "relu6", "leaky_relu"]:
    try:
        fn = keras.activations.get(name)
    except Exception:
        continue
    xx = tf.constant(x)
    with tf.GradientTape() as t:
        t.watch(xx); y = fn(xx)
    acts[name] = {"y": L(y.numpy()), "dy_dx": L(t.gradient(y, xx).numpy())}
z = f32(rng.normal(0, 4, (4, 7)))
acts["softmax"] = {"x2d": L(z), "y2d": L(keras.activations.softmax(tf.constant(z)).numpy())}
fx["activations"] = {"x": L(x), "by_name": acts}

# losses: mean over the batch (Keras' SUM_OVER_BATCH_SIZE) and per sample
n, k = 6, 5
logits = f32(rng.normal(0, 2, (n, k)))
probs = tf.nn.softmax(logits).numpy()
onehot = np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]
sparse = onehot.argmax(1).astype(np.int64)
reg_true = f32(rng.uniform(0.1, 3, (n, k))); reg_pred = f32(rng.uniform(0.1, 3, (n, k)))
bin_true = f32(rng.integers(0, 2, (n, 1))); bin_pred = f32(rng.uniform(0.02, 0.98, (n, 1)))
pm_true = f32(rng.choice([-1, 1], (n, k))); sw = f32(rng.uniform(0.2, 2, n))
cases = {
  "mean_squared_error": (reg_true, reg_pred), "mean_absolute_error": (reg_true, reg_pred),
  "mean_absolute_percentage_error": (reg_true, reg_pred), "mean_squared_logarithmic_error": (reg_true, reg_pred),
  "log_cosh": (reg_true, reg_pred), "poisson": (reg_true, reg_pred), "huber": (reg_true, reg_pred),
  "cosine_similarity": (reg_true, reg_pred), "kl_divergence": (onehot * 0.7 + 0.06, probs),
  "hinge": (pm_true, reg_pred - 1.5), "squared_hinge": (pm_true, reg_pred - 1.5), "categorical_hinge": (onehot, probs),
  "categorical_crossentropy": (onehot, probs), "sparse_categorical_crossentropy": (sparse, probs),
  "binary_crossentropy": (bin_true, bin_pred),
}
losses = {}
for name, (yt, yp) in cases.items():
    fn = keras.losses.get(name)
    per = fn(tf.constant(yt), tf.constant(yp)).numpy()
    losses[name] = {"y_true": L(yt), "y_pred": L(yp), "per_sample": L(per), "mean": float(np.mean(per)),
                    "sample_weight": L(sw), "weighted_mean": float(np.sum(per * sw) / n)}
# from_logits forms
losses["categorical_crossentropy_from_logits"] = {"y_true": L(onehot), "y_pred": L(logits),
    "per_sample": L(keras.losses.categorical_crossentropy(onehot, logits, from_logits=True).numpy())}
losses["sparse_categorical_crossentropy_from_logits"] = {"y_true": L(sparse), "y_pred": L(logits),
    "per_sample": L(keras.losses.sparse_categorical_crossentropy(sparse, logits, from_logits=True).numpy())}
losses["categorical_crossentropy_label_smoothing_0.1"] = {"y_true": L(onehot), "y_pred": L(probs),
    "per_sample": L(keras.losses.categorical_crossentropy(onehot, probs, label_smoothing=0.1).numpy())}
fx["losses"] = losses

# edge inputs where the epsilon and clipping details decide the answer
F = np.float32
yp3 = F([[0.2, 0.9, 0.3], [0.0, 2.0, 1.0], [5, 1, 0]]); yt3 = F([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
h01 = F([[0, 1, 1], [1, 0, 0]]); hp = F([[0.3, -2, 0.5], [1.5, 0.2, -0.7]])
edge = [
  ("binary_crossentropy", F([[0], [1], [0], [1], [1], [0]]), F([[0], [0], [1], [1], [1e-9], [0.5]])),
  ("categorical_crossentropy", yt3, yp3),
  ("sparse_categorical_crossentropy", np.array([1, 0, 2], np.int64), yp3),
  ("kl_divergence", F([[0, 1, 0.5]]), F([[0.3, 0, 2.0]])),
  ("poisson", F([[1, 0, 2]]), F([[0, 0, 1]])),
  ("mean_absolute_percentage_error", F([[0, 1, -2]]), F([[0.5, 1, 1]])),
  ("mean_squared_logarithmic_error", F([[-1, 1, 0]]), F([[0.5, -3, 1]])),
  ("cosine_similarity", F([[0, 0, 0], [1, 2, 3]]), F([[1, 2, 3], [0, 0, 0]])),
  ("hinge", h01, hp), ("squared_hinge", h01, hp),
  ("hinge", F([[0, 1, 0.5], [1, 0, 0]]), hp),
  ("huber", F([[0, 0, 0]]), F([[1, -3, 0.5]])),
  ("log_cosh", F([[0, 0]]), F([[50, -50]])),
]
fx["losses_edge"] = [{"name": n, "y_true": L(yt), "y_pred": L(yp),
                      "per_sample": L(keras.losses.get(n)(tf.constant(yt), tf.constant(yp)).numpy())}
                     for n, yt, yp in edge]
xe = F([-100, -20, -16, -15, -2.5, 0, 2.5, 6, 15, 16, 20, 100])
acts_edge = {}
for name in ["softplus", "sigmoid", "tanh", "mish", "swish", "elu", "selu", "gelu", "hard_sigmoid", "relu", "relu6", "leaky_relu"]:
    xx = tf.constant(xe)
    with tf.GradientTape() as t:
        t.watch(xx); y = keras.activations.get(name)(xx)
    acts_edge[name] = {"y": L(y.numpy()), "dy_dx": L(t.gradient(y, xx).numpy())}
fx["activations_edge"] = {"x": L(xe), "by_name": acts_edge}

# optimizers: the same gradient sequence applied to the same weights
w0 = f32(rng.normal(0, 1, 8)); grads = f32(rng.normal(0, 1, (12, 8)))
grads_small = f32(grads * 1e-4)
opt_cases = {
  "sgd": ("SGD", {}), "sgd_momentum": ("SGD", {"momentum": 0.9}),
  "sgd_nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
  "rmsprop": ("RMSprop", {}), "rmsprop_centered_momentum": ("RMSprop", {"momentum": 0.5, "centered": True}),
  "adagrad": ("Adagrad", {}), "adadelta": ("Adadelta", {"learning_rate": 1.0}),
  "adam": ("Adam", {}), "adam_amsgrad": ("Adam", {"amsgrad": True}), "adamax": ("Adamax", {}),
  "nadam": ("Nadam", {}), "ftrl": ("Ftrl", {}), "adamw": ("AdamW", {}),
}
opts = {}
for key, (cls, cfg) in opt_cases.items():
    if not hasattr(keras.optimizers, cls):
        continue
    opt = getattr(keras.optimizers, cls)(**cfg)
    v = tf.Variable(w0)
    traj = []
    for g in grads:
        opt.apply_gradients([(tf.constant(g), v)]); traj.append(v.numpy().copy())
    full = opt.get_config()
    noise = {"name", "use_ema", "ema_momentum", "ema_overwrite_frequency", "jit_compile", "is_legacy_optimizer"}
    conf = {k: v for k, v in full.items() if isinstance(v, (int, float, bool)) and k not in noise}
    conf["learning_rate"] = float(np.asarray(opt.learning_rate))
    # the same optimizer on gradients 1e4 times smaller: where epsilon sits now shows
    opt_s = getattr(keras.optimizers, cls)(**cfg)
    v_s = tf.Variable(w0); traj_s = []
    for g in grads_small:
        opt_s.apply_gradients([(tf.constant(g), v_s)]); traj_s.append(v_s.numpy().copy())
    opts[key] = {"class": cls, "config": conf,
                 "weights_after_each_step": L(traj), "weights_after_each_step_small": L(traj_s)}
fx["optimizers"] = {"w0": L(w0), "grads": L(grads), "grads_small": L(grads_small), "by_name": opts}

# one whole fit: fixed initial weights, no shuffle, a last partial batch, validation split
m, d, h, c = 70, 12, 9, 4
X = f32(rng.normal(0, 1, (m, d))); Y = rng.integers(0, c, m).astype(np.int64)
model = keras.Sequential([keras.layers.Dense(h, activation="relu", input_shape=(d,)),
                          keras.layers.Dense(c, activation="softmax")])
init = [f32(rng.normal(0, 0.4, w.shape)) for w in model.get_weights()]
model.set_weights(init)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
hist = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, validation_split=0.2, verbose=0)
ev = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
fx["fit"] = {"layers": [{"units": h, "activation": "relu"}, {"units": c, "activation": "softmax"}],
  "optimizer": {"name": "adam", "learning_rate": 0.01}, "loss": "sparse_categorical_crossentropy",
  "batch_size": 16, "epochs": 3, "shuffle": False, "validation_split": 0.2,
  "x": L(X), "y": L(Y), "initial_weights": [L(w) for w in init],
  "history": {k: L(v) for k, v in hist.history.items()},
  "final_weights": [L(w) for w in model.get_weights()],
  "evaluate_all": {k: float(v) for k, v in ev.items()},
  "predict_first_3": L(model.predict(X[:3], verbose=0))}
if out:
    json.dump(fx, open(out, "w"), indent=None)
    print("wrote", out, "activations", len(acts), "losses", len(losses), "optimizers", len(opts))



# ---------------------------------------------------------------------------------------------
# Convolution and pooling (keras2_cnn_parity.json): NHWC (channels_last) arrays, Keras' kernel
# layout (kh, kw, c_in, c_out). Each gradient is that of sum(y * dy) for the random upstream
# gradient `dy` recorded beside it.
def cnn_fixture(seed):
    r = np.random.default_rng([seed, 16])

    def grads(layer, x, extra_vars):
        xx = tf.constant(x)
        with tf.GradientTape() as t:
            t.watch(xx); y = layer(xx, training=True)
        dy = f32(r.normal(0, 1, y.shape))
        g = t.gradient(y, [xx] + extra_vars, output_gradients=tf.constant(dy))
        return y.numpy(), dy, [a.numpy() for a in g]

    def distinct(shape, scale=1.0):
        # a permutation of evenly spaced values: no two equal inputs, so max pooling has no ties
        n = int(np.prod(shape))
        return f32((r.permutation(n) - n / 2) * (scale / n)).reshape(shape)

    conv_cases = [  # (N, H, W, C), filters, kernel_size, strides, padding
        ((2, 5, 5, 1), 2, (3, 3), (1, 1), "valid"),
        ((2, 6, 7, 3), 4, (3, 3), (2, 2), "same"),
        ((1, 7, 6, 2), 3, (2, 2), (1, 1), "same"),     # even kernel: asymmetric padding
        ((2, 8, 5, 2), 2, (3, 2), (2, 1), "valid"),
        ((3, 6, 6, 2), 3, (4, 4), (2, 2), "same"),     # odd total padding
        ((2, 7, 5, 3), 5, (3, 3), (2, 1), "same"),
        ((2, 5, 5, 3), 2, (5, 5), (1, 1), "valid"),    # kernel as large as the image
    ]
    conv = []
    for shape, filters, ks, st, pad in conv_cases:
        layer = keras.layers.Conv2D(filters, ks, strides=st, padding=pad)
        layer.build(shape)
        kernel = f32(r.normal(0, 0.5, layer.kernel.shape)); bias = f32(r.normal(0, 0.5, layer.bias.shape))
        layer.set_weights([kernel, bias])
        x = f32(r.normal(0, 1, shape))
        y, dy, (dx, dk, db) = grads(layer, x, [layer.kernel, layer.bias])
        conv.append({"filters": filters, "kernel_size": list(ks), "strides": list(st), "padding": pad,
                     "x": L(x), "kernel": L(kernel), "bias": L(bias), "y": L(y), "dy": L(dy),
                     "dx": L(dx), "dkernel": L(dk), "dbias": L(db)})

    pool_cases = [  # class, (N, H, W, C), pool_size, strides (None: pool_size), padding
        ("MaxPooling2D", (2, 5, 5, 2), (2, 2), None, "valid"),
        ("MaxPooling2D", (1, 7, 6, 3), (3, 3), (2, 2), "same"),
        ("MaxPooling2D", (2, 6, 7, 1), (2, 3), (1, 2), "valid"),
        ("MaxPooling2D", (2, 5, 4, 2), (2, 2), None, "same"),
        ("AveragePooling2D", (2, 4, 6, 2), (2, 2), None, "valid"),
        ("AveragePooling2D", (1, 7, 6, 3), (3, 3), (2, 2), "same"),   # padded cells not counted
        ("AveragePooling2D", (2, 5, 3, 2), (2, 1), (2, 1), "same"),
        ("GlobalAveragePooling2D", (2, 4, 3, 5), None, None, None),
    ]
    pool = []
    for cls, shape, ps, st, pad in pool_cases:
        if cls == "GlobalAveragePooling2D":
            layer = keras.layers.GlobalAveragePooling2D()
        else:
            layer = getattr(keras.layers, cls)(pool_size=ps, strides=st, padding=pad)
        x = distinct(shape, 8.0)
        y, dy, (dx,) = grads(layer, x, [])
        pool.append({"class": cls, "pool_size": None if ps is None else list(ps),
                     "strides": None if st is None else list(st), "padding": pad,
                     "x": L(x), "y": L(y), "dy": L(dy), "dx": L(dx)})

    # BatchNormalization on rank-4 inputs: normalizes over (N, H, W) per channel (axis=-1)
    bn = keras.layers.BatchNormalization()
    xb = f32(r.normal(1.5, 2, (3, 4, 3, 5)))
    bn.build(xb.shape)
    gamma = f32(r.uniform(0.5, 1.5, 5)); beta = f32(r.normal(0, 0.5, 5))
    bn.set_weights([gamma, beta, np.zeros(5, np.float32), np.ones(5, np.float32)])
    yb, dyb, (dxb, dg, dbeta) = grads(bn, xb, [bn.gamma, bn.beta])
    bn_case = {"x": L(xb), "gamma": L(gamma), "beta": L(beta), "y_train": L(yb), "dy": L(dyb),
               "dx": L(dxb), "dgamma": L(dg), "dbeta": L(dbeta),
               "moving_mean": L(bn.moving_mean.numpy()), "moving_variance": L(bn.moving_variance.numpy()),
               "y_inference": L(bn(tf.constant(xb), training=False).numpy())}

    # a short fit of a small CNN from recorded initial weights
    m, side, classes = 40, 8, 3
    X = f32(r.uniform(0, 1, (m, side, side, 1))); Y = r.integers(0, classes, m).astype(np.int64)
    for i in range(m):  # a class-dependent bright bar, so that the network learns something
        X[i, 2 + 2 * Y[i], :, 0] += 1.0
    model = keras.Sequential([
        keras.layers.Conv2D(4, 3, activation="relu", input_shape=(side, side, 1)),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(classes, activation="softmax")])
    init = [f32(r.normal(0, 0.3, w.shape)) for w in model.get_weights()]
    model.set_weights(init)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, validation_split=0.2, verbose=0)
    ev = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    fit = {"layers": [
               {"class": "Conv2D", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
                "padding": "valid", "activation": "relu"},
               {"class": "MaxPooling2D", "pool_size": [2, 2], "strides": [2, 2], "padding": "valid"},
               {"class": "Flatten"},
               {"class": "Dense", "units": classes, "activation": "softmax"}],
           "input_shape": [side, side, 1],
           "optimizer": {"name": "adam", "learning_rate": 0.01}, "loss": "sparse_categorical_crossentropy",
           "batch_size": 16, "epochs": 3, "shuffle": False, "validation_split": 0.2,
           "x": L(X), "y": L(Y), "initial_weights": [L(w) for w in init],
           "history": {k: L(v) for k, v in hist.history.items()},
           "final_weights": [L(w) for w in model.get_weights()],
           "evaluate_all": {k: float(v) for k, v in ev.items()},
           "predict_first_3": L(model.predict(X[:3], verbose=0)),
           "summary_params": [int(l.count_params()) for l in model.layers],
           "output_shapes": [list(l.output_shape[1:]) for l in model.layers]}
    return {"generator": "tf_keras " + keras.__version__ + " on tensorflow " + tf.__version__,
            "seed": seed, "conv2d": conv, "pooling": pool, "batch_norm_4d": bn_case, "cnn_fit": fit}

if args.cnn_out:
    cf = cnn_fixture(seed)
    json.dump(cf, open(args.cnn_out, "w"), indent=None)
    print("wrote", args.cnn_out, "conv2d", len(cf["conv2d"]), "pooling", len(cf["pooling"]))
