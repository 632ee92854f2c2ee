#!/usr/bin/env bash
# Lines of Rust source in the chapter crates ch03-ch06 (src/ only), split into what a student
# reads beside the book, the Keras catalog, the speed code and the figure code.
#
#   scripts/chapter_lines.sh [REV]     (default: the working tree; e.g. 04627ac for a commit)
#   CODE_ONLY=1 scripts/chapter_lines.sh [REV]   the same without blank and comment-only lines
#
# A file counts as:
#   keras   - under src/keras/, or one of the catalog files of the layout before issue 14
#             (ch03 activation.rs, ch04 loss.rs, ch05 loss_gradient.rs, ch06 initializers.rs)
#   speed   - ch05 parallel.rs, matmul.rs (the two-core split and its product)
#   figures - ch03 plot.rs
#   book    - everything else
# Lines are all lines (`wc -l`), comments and docs included (the docs are what a student
# reads); with CODE_ONLY=1, lines that are blank or start with `//` are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-}"

files() {
    if [ -n "$rev" ]; then
        git ls-tree -r --name-only "$rev" -- ch03-activations/src ch04-loss-gradient/src \
            ch05-backprop/src ch06-optimizers-init/src | grep '\.rs$'
    else
        find ch03-activations/src ch04-loss-gradient/src ch05-backprop/src \
            ch06-optimizers-init/src -name '*.rs' | sort
    fi
}

count() {
    if [ -n "$rev" ]; then git show "$rev:$1"; else cat "$1"; fi |
        if [ -n "${CODE_ONLY:-}" ]; then grep -cvE '^[[:space:]]*(//.*)?$' || true; else wc -l; fi
}

kind() {
    case "$1" in
        */src/keras/*) echo keras ;;
        ch03-activations/src/activation.rs | ch04-loss-gradient/src/loss.rs | \
            ch05-backprop/src/loss_gradient.rs | ch06-optimizers-init/src/initializers.rs) echo keras ;;
        ch05-backprop/src/parallel.rs | ch05-backprop/src/matmul.rs) echo speed ;;
        ch03-activations/src/plot.rs) echo figures ;;
        *) echo book ;;
    esac
}

declare -A total
printf '%-22s %7s %7s %7s %7s %7s\n' crate book keras speed figures all
for crate in ch03-activations ch04-loss-gradient ch05-backprop ch06-optimizers-init; do
    declare -A n=([book]=0 [keras]=0 [speed]=0 [figures]=0)
    while read -r f; do
        k=$(kind "$f")
        n[$k]=$((n[$k] + $(count "$f")))
    done < <(files | grep "^$crate/")
    all=$((n[book] + n[keras] + n[speed] + n[figures]))
    printf '%-22s %7d %7d %7d %7d %7d\n' "$crate" "${n[book]}" "${n[keras]}" "${n[speed]}" "${n[figures]}" "$all"
    for k in book keras speed figures; do total[$k]=$((${total[$k]:-0} + n[$k])); done
    total[all]=$((${total[all]:-0} + all))
done
printf '%-22s %7d %7d %7d %7d %7d\n' total "${total[book]}" "${total[keras]}" "${total[speed]}" "${total[figures]}" "${total[all]}"
