# Provenance: copied unchanged from the workspace's reference/keras_seed.py (the TensorFlow tutorial as run with tf_keras 2.21); compare_tensorflow.sh runs this copy.
"""The TensorFlow beginner tutorial this project reproduces, run with TensorFlow's own Keras 2 API.

Use it to measure keras-lite side by side with the real thing on the same machine, in the same run:
    apt-get install -y dataset-fashion-mnist            # the data, under /usr/share/datasets/fashion-mnist
    python3 -m venv .venv-tf && . .venv-tf/bin/activate
    pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    python keras_seed.py [epochs=5] [batch_size=32]
It prints the Keras 2 summary and progress lines, then machine-readable lines:
    EPOCH_S <seconds of one epoch>   (one per epoch)
    FIT_S <seconds of the whole fit>
    TEST_ACC <test accuracy> TEST_LOSS <test loss>
Measured once on a 2-core machine of this kind (tf_keras 2.21, CPU): about 3.5 s per epoch,
peak RSS about 1.7 GB, test accuracy 0.8715 after 5 epochs."""
import gzip, os, sys, time
import numpy as np
import tf_keras as keras

D = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
def idx(name, offset):
    with gzip.open(os.path.join(D, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)
x_train = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28) / 255.0
y_train = idx("train-labels-idx1-ubyte.gz", 8)
x_test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28) / 255.0
y_test = idx("t10k-labels-idx1-ubyte.gz", 8)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
batch_size = int(sys.argv[2]) if len(sys.argv) > 2 else 32

model = keras.Sequential([
    keras.layers.Flatten(input_shape=(28, 28)),
    keras.layers.Dense(128, activation='relu'),
    keras.layers.Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.summary()

class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): print(f"EPOCH_S {time.perf_counter() - self.t:.3f}", flush=True)

t0 = time.perf_counter()
model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, callbacks=[EpochTimer()])
print(f"FIT_S {time.perf_counter() - t0:.3f}")
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
print(f"TEST_ACC {test_acc:.4f} TEST_LOSS {test_loss:.4f}")
