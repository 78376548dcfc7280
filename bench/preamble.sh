# @brief Sourced by every bench script (bash): one way to say what a benchmark needs and to keep
# its temporary files, so each script states only what it measures.
#
#   source "$(dirname "$0")/preamble.sh"
#   bench_init NAME                      # the name in messages and in the work directory
#   bench_need_built BUILD_DIR app/flowlab bench/flowlab_make_exports ...
#   bench_need_tools tshark capinfos /usr/bin/time ...
#   bench_workdir                        # sets $bench_dir, removed on exit
#   bench_on_exit 'command'              # run on exit, before the work directory goes
#   bench_timed OUT_FILE command ...     # GNU time: "wall_s rss_kb user_s sys_s" into OUT_FILE

bench_init() {
    bench_name=$1
    bench_exit_commands=()
    trap bench_cleanup EXIT
}

bench_fail() {
    echo "$bench_name: $*" >&2
    exit 2
}

bench_need_built() {
    local build=$1
    shift
    local target
    for target in "$@"; do
        [[ -x $build/$target ]] || bench_fail "$build/$target not found: build it first (cmake --build $build --target $(basename "$target"))"
    done
}

bench_need_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || bench_fail "$tool is not installed (scripts/setup.sh installs what the benchmarks use)"
    done
}

bench_on_exit() {
    bench_exit_commands+=("$1")
}

bench_workdir() {
    bench_dir=$(mktemp -d "${TMPDIR:-/tmp}/flowlab-$bench_name-XXXXXX")
}

bench_cleanup() {
    local c
    for c in "${bench_exit_commands[@]}"; do eval "$c" || true; done
    if [[ -n ${bench_dir:-} ]]; then rm -rf "$bench_dir"; fi
}

bench_timed() {
    local out=$1
    shift
    /usr/bin/time -f "%e %M %U %S" -o "$out" "$@"
}
