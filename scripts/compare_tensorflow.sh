#!/usr/bin/env bash
# Times keras-lite's Fashion-MNIST tutorial against TensorFlow's own Keras 2 on this machine,
# back to back in the same sitting, and prints one table.
#
#   scripts/compare_tensorflow.sh --setup [--venv DIR]   # once: a venv with tensorflow-cpu + tf-keras
#   scripts/compare_tensorflow.sh [--venv DIR]           # build, run both, print the table
#   scripts/compare_tensorflow.sh --table LOGDIR         # print the table again from a run's logs
#
# The two runs:
#   keras-lite:  cargo run --release -p keras-lite --example fashion_mnist
#                (prints "Training time: 5 epochs in X.XX s (Y.YYY s/epoch)" and "Test accuracy: 0.xxxx")
#   TensorFlow:  python scripts/keras_seed.py 5 32
#                (prints EPOCH_S per epoch, FIT_S for the whole fit, TEST_ACC ... TEST_LOSS ...)
# each under `/usr/bin/time -v` for the peak resident set size. s/epoch is the whole fit divided by
# the number of epochs for both (TensorFlow's first epoch also traces its graph; its fastest
# epoch is shown separately). The data are read from $FASHION_MNIST_DIR
# (default /usr/share/datasets/fashion-mnist). The full logs stay in a temporary directory whose
# path is printed.
set -euo pipefail

VENV="${TF_VENV:-/root/.venv-tf}"
SETUP=0
TABLE_FROM=""
EPOCHS=5
BATCH=32

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --setup) SETUP=1 ;;
        --venv)
            [ $# -ge 2 ] || { echo "error: --venv needs a directory, e.g. --venv /root/.venv-tf" >&2; exit 2; }
            VENV="$2"
            shift
            ;;
        --table)
            [ $# -ge 2 ] || { echo "error: --table needs the log directory a run printed" >&2; exit 2; }
            TABLE_FROM="$2"
            shift
            ;;
        -h | --help) usage; exit 0 ;;
        *)
            echo "error: unknown argument '$1' (expected --setup, --venv DIR, --table LOGDIR or --help)" >&2
            exit 2
            ;;
    esac
    shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$VENV/bin/python"

if [ "$SETUP" = 1 ]; then
    echo "Creating $VENV with tensorflow-cpu==2.21.0 and tf-keras==2.21.0 ..."
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --upgrade pip
    "$VENV/bin/pip" install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    "$PY" -c 'import tensorflow as tf, tf_keras; print("tensorflow", tf.__version__, "tf_keras", tf_keras.__version__)'
    echo "Done. Now run: $0${VENV:+ --venv $VENV}"
    exit 0
fi

# Builds, then runs keras-lite and TensorFlow back to back, logs and timings into $LOGS.
run_both() {
    # Check everything before spending minutes on a run.
    if [ ! -x "$PY" ] || ! "$PY" -c 'import tf_keras' 2>/dev/null; then
        echo "error: no TensorFlow venv with tf_keras at $VENV; create it with: $0 --setup --venv $VENV" >&2
        exit 1
    fi
    if [ ! -x /usr/bin/time ] || ! /usr/bin/time -v true 2>/dev/null; then
        echo "error: GNU time (/usr/bin/time -v) is needed for the peak RSS; install it with: apt-get install -y time" >&2
        exit 1
    fi
    DATA="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
    if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
        echo "error: Fashion-MNIST not found in $DATA; install it (apt-get install -y dataset-fashion-mnist) or set FASHION_MNIST_DIR" >&2
        exit 1
    fi

    LOGS="$(mktemp -d /tmp/compare_tensorflow.XXXXXX)"
    cd "$ROOT"

    echo "Building keras-lite's example (not timed) ..."
    cargo build --release -p keras-lite --example fashion_mnist >"$LOGS/build.log" 2>&1 || {
        echo "error: the build failed; see $LOGS/build.log" >&2
        tail -20 "$LOGS/build.log" >&2
        exit 1
}

echo "Running keras-lite (log: $LOGS/keras-lite.log) ..."
/usr/bin/time -v -o "$LOGS/keras-lite.time" \
    cargo run --quiet --release -p keras-lite --example fashion_mnist >"$LOGS/keras-lite.log" 2>&1 || {
    echo "error: keras-lite's example failed; see $LOGS/keras-lite.log" >&2
    tail -20 "$LOGS/keras-lite.log" >&2
    exit 1
}

echo "Running TensorFlow (log: $LOGS/tensorflow.log) ..."
TF_CPP_MIN_LOG_LEVEL=2 /usr/bin/time -v -o "$LOGS/tensorflow.time" \
    "$PY" "$ROOT/scripts/keras_seed.py" "$EPOCHS" "$BATCH" >"$LOGS/tensorflow.log" 2>&1 || {
    echo "error: keras_seed.py failed; see $LOGS/tensorflow.log" >&2
    tail -20 "$LOGS/tensorflow.log" >&2
    exit 1
}

}

if [ -n "$TABLE_FROM" ]; then
    [ -f "$TABLE_FROM/keras-lite.log" ] && [ -f "$TABLE_FROM/tensorflow.log" ] || {
        echo "error: $TABLE_FROM has no keras-lite.log and tensorflow.log; pass the directory a run printed" >&2
        exit 1
    }
    LOGS="$TABLE_FROM"
else
    run_both
fi

# Peak RSS in MB from GNU time's "Maximum resident set size (kbytes): N".
peak_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
need() {
    if [ -z "$2" ]; then
        echo "error: could not find $1 in the output; see $LOGS" >&2
        exit 1
    fi
}

# keras-lite: "Training time: 5 epochs in 1.56 s (0.312 s/epoch)" and "Test accuracy: 0.8790".
# The progress bar rewrites its line with carriage returns, so split on them too.
KL_LINE="$(tr '\r' '\n' <"$LOGS/keras-lite.log" | grep -E 'Training time: [0-9]+ epochs in' | tail -1 || true)"
need "keras-lite's 'Training time: N epochs in X s (Y s/epoch)' line" "$KL_LINE"
KL_EPOCHS="$(sed -E 's/.*Training time: ([0-9]+) epochs.*/\1/' <<<"$KL_LINE")"
KL_FIT="$(sed -E 's/.* epochs in ([0-9.]+) s.*/\1/' <<<"$KL_LINE")"
KL_ACC="$(tr '\r' '\n' <"$LOGS/keras-lite.log" | sed -nE 's/.*Test accuracy: ([0-9.]+).*/\1/p' | tail -1)"
need "keras-lite's 'Test accuracy:' line" "$KL_ACC"
KL_RSS="$(peak_mb "$LOGS/keras-lite.time")"

# TensorFlow: EPOCH_S per epoch, FIT_S, TEST_ACC. Keras 2's progress bar ends its line with a
# carriage return and no newline, so EPOCH_S can follow the bar on the same line: match anywhere.
tf_values() { tr '\r' '\n' <"$LOGS/tensorflow.log" | grep -aoE "$1 [0-9.]+" | sed -E "s/^$1 //" || true; }
TF_FIT="$(tf_values FIT_S | tail -1)"
need "keras_seed.py's FIT_S line" "$TF_FIT"
TF_EPOCHS="$(tf_values EPOCH_S | wc -l)"
TF_BEST="$(tf_values EPOCH_S | sort -g | head -1)"
TF_ACC="$(tf_values TEST_ACC | tail -1)"
need "keras_seed.py's TEST_ACC line" "$TF_ACC"
TF_RSS="$(peak_mb "$LOGS/tensorflow.time")"

if [ "$KL_EPOCHS" != "$TF_EPOCHS" ]; then
    echo "warning: keras-lite trained $KL_EPOCHS epochs, TensorFlow $TF_EPOCHS; s/epoch still compares" >&2
fi

# keras-lite's fastest epoch, from the end-of-epoch progress line "1875/1875 [===] - 2s 960us/step"
# (the time per step is rounded to a microsecond or a millisecond, so this is approximate).
KL_BEST="$(tr '\r' '\n' <"$LOGS/keras-lite.log" |
    sed -nE 's#^ *([0-9]+)/([0-9]+) \[=+\] - [0-9]+s ([0-9]+)(us|ms)/step.*#\1 \2 \3 \4#p' |
    awk '$1 == $2 { t = $2 * $3 * ($4 == "ms" ? 1e-3 : 1e-6); if (best == "" || t < best) best = t }
         END { if (best != "") printf "~%.3f", best }')"

KL_SPE="$(awk -v f="$KL_FIT" -v e="$KL_EPOCHS" 'BEGIN { printf "%.3f", f / e }')"
TF_SPE="$(awk -v f="$TF_FIT" -v e="$TF_EPOCHS" 'BEGIN { printf "%.3f", f / e }')"
RATIO="$(awk -v a="$TF_SPE" -v b="$KL_SPE" 'BEGIN { printf "%.1f", a / b }')"
CPU="$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -1)"

echo
echo "Fashion-MNIST tutorial: Flatten, Dense(128, relu), Dense(10, softmax); Adam; batch $BATCH; $TF_EPOCHS epochs"
echo "Machine: $CPU, $(nproc) cores; run $(date -u -r "$LOGS/tensorflow.log" '+%Y-%m-%d %H:%M UTC'); scripts/compare_tensorflow.sh"
echo
row() { printf '| %-28s | %7s | %13s | %15s | %9s | %13s |\n' "$@"; }
row "run" "s/epoch" "fastest epoch" "s/epoch ratio" "test acc" "peak RSS (MB)"
row "----------------------------" "------:" "------------:" "--------------:" "--------:" "------------:"
row "keras-lite (Rust, --release)" "$KL_SPE" "${KL_BEST:--}" "1.0" "$KL_ACC" "$KL_RSS"
row "TensorFlow 2.21 (tf_keras)" "$TF_SPE" "$TF_BEST" "$RATIO" "$TF_ACC" "$TF_RSS"
echo
echo "s/epoch = whole fit / epochs; ratio = TensorFlow's s/epoch / keras-lite's. Logs: $LOGS"
