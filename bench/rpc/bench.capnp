@0xd13db2d052cb6f9c;
# The interface `coronet bench rpc` serves and calls, on coronet and on the
# reference implementation (capnp::EzRpcServer / EzRpcClient) alike.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("coronet::bench");

interface Echo {
  # Returns `data` unchanged: 64 B for latency and calls in flight, 1 MiB for throughput.
  echo @0 (data :Data) -> (data :Data);
}
