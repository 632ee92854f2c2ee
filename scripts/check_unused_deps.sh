#!/usr/bin/env bash
# Fails when a crate of the workspace declares a dependency it never uses, or the workspace
# declares one that no crate takes: the small equivalent of `cargo machete` (installing that
# tool compiles for minutes on CI's 2 cores; this takes well under a second).
#
# A dependency `foo-bar` of a crate counts as used when `foo_bar` appears as a word on a line
# of code (not a `//` comment) in a `.rs` file of that crate's src/, tests/, examples/ or
# benches/: a `use`, a path, `extern crate`. A crate named only in prose is not used.
# [dependencies] and [dev-dependencies] are checked alike: a dev-dependency no test, example
# or bench names is as dead as a normal one.
#
# A real exception (a dependency used only through a feature, a build script, a linker) is kept
# by a comment on its line in Cargo.toml, saying why:
#     foo.workspace = true  # unused-deps: allow (why it is needed without being named)
#
# Usage: scripts/check_unused_deps.sh [WORKSPACE_DIR]   (default: the repository root)
#        scripts/check_unused_deps.sh --self-test        (the check can fail: see below)
set -euo pipefail

if [ "${1:-}" = --self-test ]; then
    # On a copy of the manifests and sources, plant an unused dependency in one crate and an
    # unused workspace entry: the check must fail and name both; the copy as it is must pass.
    here=$(cd "$(dirname "$0")/.." && pwd)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$here" && find . -path ./target -prune -o \( -name Cargo.toml -o -name '*.rs' \) -print0 \
        | tar -c --null -T - -f -) | tar -x -C "$tmp"
    "$0" "$tmp" >/dev/null || { echo "self-test: the unplanted copy fails" >&2; exit 1; }
    sed -i 's/^\[dependencies\]$/[dependencies]\nflate2.workspace = true/' "$tmp/ch05-backprop/Cargo.toml"
    sed -i 's/^\[workspace.dependencies\]$/[workspace.dependencies]\nplanted-unused = "1"/' "$tmp/Cargo.toml"
    if out=$("$0" "$tmp" 2>&1); then
        echo "self-test: the planted unused dependencies were not caught" >&2
        exit 1
    fi
    for want in 'ch05-backprop/Cargo.toml declares `flate2`' 'declares `planted-unused`'; do
        grep -qF "$want" <<<"$out" || { echo "self-test: not reported: $want; got: $out" >&2; exit 1; }
    done
    echo "check_unused_deps self-test: the planted unused dependencies are caught and named"
    exit 0
fi

root=${1:-"$(dirname "$0")/.."}
cd "$root"

# The `name` of every dependency line in the given sections of a Cargo.toml, with its
# allow-list marker: prints "name" or "name allow".
deps_of() {
    local toml=$1; shift
    local sections="$*"
    awk -v sections="$sections" '
        BEGIN { n = split(sections, s, " "); for (i = 1; i <= n; i++) want["[" s[i] "]"] = 1 }
        /^[[:space:]]*\[/ { line = $0; sub(/[[:space:]]*#.*/, "", line); gsub(/[[:space:]]/, "", line); on = (line in want); next }
        on && /^[[:space:]]*[A-Za-z0-9_-]+[[:space:]]*(\.|=)/ {
            name = $0; sub(/^[[:space:]]*/, "", name); sub(/[[:space:]]*[.=].*/, "", name)
            print name ($0 ~ /#[[:space:]]*unused-deps:[[:space:]]*allow/ ? " allow" : "")
        }' "$toml"
}

members=$(awk '/^members[[:space:]]*=/ { on = 1 } on { print } on && /\]/ { exit }' Cargo.toml \
    | grep -o '"[^"]*"' | tr -d '"')

status=0
for crate in $members; do
    dirs=()
    for d in src tests examples benches; do
        [ -d "$crate/$d" ] && dirs+=("$crate/$d")
    done
    while read -r name allow; do
        [ -n "$name" ] || continue
        [ "$allow" = allow ] && continue
        ident=${name//-/_}
        uses=0
        if [ ${#dirs[@]} -gt 0 ]; then
            # `grep -c` reads all its input: an early exit (`grep -q`) would make the first grep
            # die of SIGPIPE, which pipefail turns into "unused".
            uses=$(grep -rhw --include='*.rs' -- "$ident" "${dirs[@]}" \
                | grep -cv '^[[:space:]]*//' || true)
        fi
        if [ "$uses" -eq 0 ]; then
            echo "unused dependency: $crate/Cargo.toml declares \`$name\`, but no .rs file of" \
                "$crate names \`$ident\`; remove it (or mark a real exception with" \
                "'# unused-deps: allow (why)' on its line)" >&2
            status=1
        fi
    done < <(deps_of "$crate/Cargo.toml" dependencies dev-dependencies build-dependencies)
done

# A workspace dependency that no member takes is dead too.
while read -r name allow; do
    [ -n "$name" ] || continue
    [ "$allow" = allow ] && continue
    used=no
    for crate in $members; do
        takers=$(deps_of "$crate/Cargo.toml" dependencies dev-dependencies build-dependencies \
            | awk '{ print $1 }' | grep -cx -- "$name" || true)
        if [ "$takers" -gt 0 ]; then
            used=yes
            break
        fi
    done
    if [ $used = no ]; then
        echo "unused dependency: Cargo.toml's [workspace.dependencies] declares \`$name\`, but" \
            "no member crate takes it; remove it" >&2
        status=1
    fi
done < <(deps_of Cargo.toml workspace.dependencies)

if [ $status -eq 0 ]; then
    echo "check_unused_deps: every dependency of $(echo $members | wc -w) crates is used"
fi
exit $status
