#!/usr/bin/env bash
# Times keras-lite's Fashion-MNIST tutorials against TensorFlow's own Keras 2 on this machine,
# back to back in the same sitting, and prints one table: the dense tutorial and the CNN.
#
#   scripts/compare_tensorflow.sh --setup [--venv DIR]   # once: a venv with tensorflow-cpu + tf-keras
#   scripts/compare_tensorflow.sh [--venv DIR] [--only dense|cnn] [--epochs N]
#                                                        # build, run each pair, print the table
#   scripts/compare_tensorflow.sh --table LOGDIR         # print the table again from a run's logs
#
# The pairs (each run under `/usr/bin/time -v` for the peak resident set size):
#   dense  keras-lite: cargo run --release -p keras-lite --example fashion_mnist
#          TensorFlow: python scripts/keras_seed.py EPOCHS 32
#   cnn    keras-lite: cargo run --release -p keras-lite --example fashion_mnist_cnn
#          TensorFlow: python scripts/keras_cnn.py EPOCHS 32
# keras-lite prints "Training time: 5 epochs in X.XX s (Y.YYY s/epoch ...)" and "Test accuracy:
# 0.xxxx"; the Python scripts print EPOCH_S per epoch, FIT_S for the whole fit, TEST_ACC ...
# s/epoch is the whole fit divided by the number of epochs for both (TensorFlow's first epoch
# also traces its graph; its fastest epoch is shown separately). `--epochs N` (default 5) makes a
# short comparison possible (e.g. `--only cnn --epochs 1`). The data are read from
# $FASHION_MNIST_DIR (default /usr/share/datasets/fashion-mnist). The full logs stay in a
# temporary directory whose path is printed.
set -euo pipefail

VENV="${TF_VENV:-/root/.venv-tf}"
SETUP=0
TABLE_FROM=""
EPOCHS=5
BATCH=32
PAIRS="dense cnn"

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
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
        --only)
            case "${2:-}" in
                dense | cnn) PAIRS="$2" ;;
                *) echo "error: --only needs dense or cnn" >&2; exit 2 ;;
            esac
            shift
            ;;
        --epochs)
            [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "error: --epochs needs a positive number of epochs" >&2; exit 2; }
            EPOCHS="$2"
            shift
            ;;
        -h | --help) usage; exit 0 ;;
        *)
            echo "error: unknown argument '$1' (expected --setup, --venv DIR, --only dense|cnn, --epochs N, --table LOGDIR or --help)" >&2
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
    for pair in $PAIRS; do
        run_pair "$pair"
    done
}

# The keras-lite example and the TensorFlow script of a pair.
example_of() { [ "$1" = cnn ] && echo fashion_mnist_cnn || echo fashion_mnist; }
script_of() { [ "$1" = cnn ] && echo keras_cnn.py || echo keras_seed.py; }

# Builds, then runs keras-lite and TensorFlow back to back for one pair; logs into $LOGS/PAIR-*.
run_pair() {
    local pair="$1" example script
    example="$(example_of "$pair")"
    script="$(script_of "$pair")"
    echo "Building keras-lite's $example (not timed) ..."
    cargo build --release -p keras-lite --example "$example" >"$LOGS/$pair-build.log" 2>&1 || {
        echo "error: the build failed; see $LOGS/$pair-build.log" >&2
        tail -20 "$LOGS/$pair-build.log" >&2
        exit 1
    }

    echo "Running keras-lite $example (log: $LOGS/$pair-keras-lite.log) ..."
    /usr/bin/time -v -o "$LOGS/$pair-keras-lite.time" \
        cargo run --quiet --release -p keras-lite --example "$example" -- \
        --epochs "$EPOCHS" --batch-size "$BATCH" --out "$LOGS" >"$LOGS/$pair-keras-lite.log" 2>&1 || {
        echo "error: keras-lite's example failed; see $LOGS/$pair-keras-lite.log" >&2
        tail -20 "$LOGS/$pair-keras-lite.log" >&2
        exit 1
    }

    echo "Running TensorFlow $script (log: $LOGS/$pair-tensorflow.log) ..."
    TF_CPP_MIN_LOG_LEVEL=2 /usr/bin/time -v -o "$LOGS/$pair-tensorflow.time" \
        "$PY" "$ROOT/scripts/$script" "$EPOCHS" "$BATCH" >"$LOGS/$pair-tensorflow.log" 2>&1 || {
        echo "error: $script failed; see $LOGS/$pair-tensorflow.log" >&2
        tail -20 "$LOGS/$pair-tensorflow.log" >&2
        exit 1
    }
}

if [ -n "$TABLE_FROM" ]; then
    LOGS="$TABLE_FROM"
    PAIRS=""
    for pair in dense cnn; do
        [ -f "$LOGS/$pair-keras-lite.log" ] && [ -f "$LOGS/$pair-tensorflow.log" ] && PAIRS="$PAIRS $pair"
    done
    [ -n "$PAIRS" ] || {
        echo "error: $TABLE_FROM has no PAIR-keras-lite.log and PAIR-tensorflow.log; pass the directory a run printed" >&2
        exit 1
    }
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

row() { printf '| %-26s | %-28s | %7s | %13s | %15s | %9s | %13s |\n' "$@"; }
CPU="$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo
echo "Fashion-MNIST, Adam, batch $BATCH. dense: Flatten, Dense(128, relu), Dense(10, softmax);"
echo "cnn: Conv2D(32, 3) -> MaxPooling2D -> Conv2D(64, 3) -> MaxPooling2D -> Flatten -> Dense(128) -> Dense(10)"
echo "Machine: $CPU, $(nproc) cores; load average before the table: $(cut -d' ' -f1-3 /proc/loadavg); scripts/compare_tensorflow.sh"
echo
row "model" "run" "s/epoch" "fastest epoch" "s/epoch ratio" "test acc" "peak RSS (MB)"
row "--------------------------" "----------------------------" "------:" "------------:" "--------------:" "--------:" "------------:"
for pair in $PAIRS; do
    KL_LOG="$LOGS/$pair-keras-lite.log"
    TF_LOG="$LOGS/$pair-tensorflow.log"
    # keras-lite: "Training time: 5 epochs in 1.56 s (0.312 s/epoch ...)" and "Test accuracy: 0.8790".
    # The progress bar rewrites its line with carriage returns, so split on them too.
    KL_LINE="$(tr '\r' '\n' <"$KL_LOG" | grep -E 'Training time: [0-9]+ epochs in' | tail -1 || true)"
    need "keras-lite's 'Training time: N epochs in X s (Y s/epoch)' line ($pair)" "$KL_LINE"
    KL_EPOCHS="$(sed -E 's/.*Training time: ([0-9]+) epochs.*/\1/' <<<"$KL_LINE")"
    KL_FIT="$(sed -E 's/.* epochs in ([0-9.]+) s.*/\1/' <<<"$KL_LINE")"
    KL_ACC="$(tr '\r' '\n' <"$KL_LOG" | sed -nE 's/.*Test accuracy: ([0-9.]+).*/\1/p' | tail -1)"
    need "keras-lite's 'Test accuracy:' line ($pair)" "$KL_ACC"
    KL_RSS="$(peak_mb "$LOGS/$pair-keras-lite.time")"

    # TensorFlow: EPOCH_S per epoch, FIT_S, TEST_ACC. Keras 2's progress bar ends its line with a
    # carriage return and no newline, so EPOCH_S can follow the bar on the same line: match anywhere.
    tf_values() { tr '\r' '\n' <"$TF_LOG" | grep -aoE "$1 [0-9.]+" | sed -E "s/^$1 //" || true; }
    TF_FIT="$(tf_values FIT_S | tail -1)"
    need "the TensorFlow script's FIT_S line ($pair)" "$TF_FIT"
    TF_EPOCHS="$(tf_values EPOCH_S | wc -l)"
    TF_BEST="$(tf_values EPOCH_S | sort -g | head -1)"
    TF_ACC="$(tf_values TEST_ACC | tail -1)"
    need "the TensorFlow script's TEST_ACC line ($pair)" "$TF_ACC"
    TF_RSS="$(peak_mb "$LOGS/$pair-tensorflow.time")"

    if [ "$KL_EPOCHS" != "$TF_EPOCHS" ]; then
        echo "warning: $pair: keras-lite trained $KL_EPOCHS epochs, TensorFlow $TF_EPOCHS; s/epoch still compares" >&2
    fi

    # keras-lite's fastest epoch, from the end-of-epoch progress line "1875/1875 [===] - 2s 960us/step"
    # (the time per step is rounded to a microsecond or a millisecond, so this is approximate; a
    # step of a few milliseconds, "3ms/step", is too coarse to tell and shows as "-").
    KL_BEST="$(tr '\r' '\n' <"$KL_LOG" |
        sed -nE 's#^ *([0-9]+)/([0-9]+) \[=+\] - [0-9]+s ([0-9]+)(us|ms)/step.*#\1 \2 \3 \4#p' |
        awk '$1 == $2 && ($4 == "us" || $3 >= 10) { t = $2 * $3 * ($4 == "ms" ? 1e-3 : 1e-6); if (best == "" || t < best) best = t }
             END { if (best != "") printf "~%.3f", best }')"

    KL_SPE="$(awk -v f="$KL_FIT" -v e="$KL_EPOCHS" 'BEGIN { printf "%.3f", f / e }')"
    TF_SPE="$(awk -v f="$TF_FIT" -v e="$TF_EPOCHS" 'BEGIN { printf "%.3f", f / e }')"
    RATIO="$(awk -v a="$TF_SPE" -v b="$KL_SPE" 'BEGIN { printf "%.1f", a / b }')"
    MODEL="$([ "$pair" = cnn ] && echo "CNN ($TF_EPOCHS epochs)" || echo "dense tutorial ($TF_EPOCHS epochs)")"
    row "$MODEL" "keras-lite (Rust, --release)" "$KL_SPE" "${KL_BEST:--}" "1.0" "$KL_ACC" "$KL_RSS"
    row "$MODEL" "TensorFlow 2.21 (tf_keras)" "$TF_SPE" "$TF_BEST" "$RATIO" "$TF_ACC" "$TF_RSS"
done
echo
echo "s/epoch = whole fit / epochs; ratio = TensorFlow's s/epoch / keras-lite's (same model). Logs: $LOGS"
