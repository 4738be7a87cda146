# Helpers shared by the bench scripts (sourced, from the repository root).

# Builds routesim and the minimal M/M/c reference loop (benches/reference-mmc).
build_with_reference() {
  cargo build --release --locked -q
  cargo build --release -q --manifest-path benches/reference-mmc/Cargo.toml \
    --target-dir target/reference-mmc
}
REF=target/reference-mmc/release/heapbench
BIN=target/release/routesim

# Prints the wall seconds of "$@" (output discarded; a failure stops the script).
wall() {
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null || { echo "failed: $*" >&2; exit 1; }
  e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Runs the reference loop once; prints its M/M/20 and M/M/20+M seconds (10 M
# chats each) on two lines. It prints "mmc c=20 pat=None N=...: 1.234 s, ...".
reference_times() {
  "$REF" mmc 1 | sed -E 's/.*: ([0-9.]+) s,.*/\1/'
}
