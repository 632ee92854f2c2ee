# Provenance: copied unchanged from the workspace's reference/keras_cnn.py (the CNN of keras-lite's fashion_mnist_cnn example, run with tf_keras 2.21); compare_tensorflow.sh runs this copy.
"""A small convolutional network on Fashion-MNIST with TensorFlow's own Keras 2 API: the model that
keras-lite's `fashion_mnist_cnn` example trains, for timing and accuracy side by side.

    apt-get install -y dataset-fashion-mnist
    python3 -m venv .venv-tf && . .venv-tf/bin/activate && pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    python keras_cnn.py [epochs=5] [batch_size=32]

Model: Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2) -> Flatten
-> Dense(128, relu) -> Dense(10, softmax); adam; sparse_categorical_crossentropy; accuracy.
Prints the Keras summary and progress lines, then machine-readable lines:
    EPOCH_S <seconds>   (one per epoch; Keras' bar ends lines with carriage returns, so grep -o)
    FIT_S <seconds of the whole fit>
    TEST_ACC <test accuracy> TEST_LOSS <test loss>"""
import gzip, os, sys, time
import numpy as np
import tf_keras as keras

D = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
def idx(name, offset):
    with gzip.open(os.path.join(D, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)
x_train = (idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1) / 255.0).astype("float32")
y_train = idx("train-labels-idx1-ubyte.gz", 8)
x_test = (idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1) / 255.0).astype("float32")
y_test = idx("t10k-labels-idx1-ubyte.gz", 8)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
batch_size = int(sys.argv[2]) if len(sys.argv) > 2 else 32

model = keras.Sequential([
    keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(64, 3, activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()

class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): print(f"\nEPOCH_S {time.perf_counter() - self.t:.3f}", flush=True)

t0 = time.perf_counter()
model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, callbacks=[EpochTimer()])
print(f"FIT_S {time.perf_counter() - t0:.3f}")
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
print(f"TEST_ACC {test_acc:.4f} TEST_LOSS {test_loss:.4f}")
