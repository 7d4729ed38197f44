#!/usr/bin/env bash
# coronet set-up: installs the Debian 12 packages that are missing, configures
# and builds (Release, Ninja, build/), then runs what you asked for.
#
#   bash setup.sh demo    # build, then run `coronet demo` (the main job)
#   bash setup.sh test    # build, then run the test suite (CI adds sanitizers)
#   bash setup.sh build   # just build
#
# Idempotent: installed packages are skipped, an existing build/ is reused.
# Environment: CI=true also builds with -Werror, runs the suite again under
# ASan+UBSan in build-asan/ and fuzzes the RPC decoder for 45 s with Clang
# in build-fuzz/ (docs/rpc-fuzzing.md); JOBS=N limits parallel compile jobs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

action=${1:-build}
jobs=${JOBS:-$(nproc)}

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  liburing-dev capnproto libcapnp-dev
  catch2 libbenchmark-dev libfmt-dev libspdlog-dev libcli11-dev
  iproute2
  # bench pubsub's peers (each optional at run time), and the gateway test's client.
  redis-server nats-server mosquitto python3-websockets
  # bench kv's and bench dht's peers (optional at run time).
  etcd-server dhtnode
  # CI's fuzzing run: Clang, libFuzzer (libclang_rt.fuzzer) and llvm-symbolizer.
  clang libclang-rt-14-dev llvm-14
  # The demo dashboard's test: headless Chromium loads the page. Report charts.
  chromium gnuplot-nox
)

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

install_packages
configure_and_build build -DCORONET_WERROR=$werror

case "$action" in
  build) ;;
  demo)
    exec build/bin/coronet demo ;;
  test)
    (cd build && ctest --output-on-failure -j "$jobs")
    # A user's project finds the installed package and links it.
    cmake --install build --prefix build/stage >/dev/null
    cmake -S examples/find_package -B build/find_package -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/stage" >/dev/null
    cmake --build build/find_package
    build/find_package/echo_consumer
    build/find_package/rpc_consumer
    if [ "${CI:-}" = "true" ] || [ "${SANITIZE:-}" = "1" ]; then
      configure_and_build build-asan -DCORONET_WERROR=$werror -DCORONET_BUILD_BENCH=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-Og -g1 -DNDEBUG" \
        -DCORONET_SANITIZE=address,undefined
      (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --output-on-failure -j "$jobs")
    fi
    if [ "${CI:-}" = "true" ]; then
      # libFuzzer over the RPC frame decoder and dispatcher (docs/rpc-fuzzing.md).
      # It grows a copy of the seed corpus, never the repository's; a crash,
      # sanitizer report, leak, hang or broken invariant fails the run, and the
      # input that did it is left in build-fuzz/artifacts/.
      CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCORONET_FUZZ=ON -DCORONET_BUILD_TESTS=OFF \
        -DCORONET_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
      cmake --build build-fuzz -j "$jobs" --target rpc_fuzz
      corpus=$(mktemp -d)
      cp rpc/fuzz/corpus/* "$corpus"/
      mkdir -p build-fuzz/artifacts
      build-fuzz/bin/rpc_fuzz -max_total_time=45 -rss_limit_mb=2048 -timeout=30 \
        -artifact_prefix=build-fuzz/artifacts/ "$corpus"
      rm -rf "$corpus"
    fi ;;
  *)
    echo "usage: bash setup.sh [build|demo|test]" >&2; exit 2 ;;
esac
