@0xa3c9d1e27f4b5e61;
# The demo's RPC service: bytes in, the same bytes back.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("coronet::cli::demo_schema");

interface DemoEcho {
  echo @0 (data :Data) -> (data :Data);
}
