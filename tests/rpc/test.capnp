@0xc8220b0bbea16ea3;
# Interfaces the RPC tests serve and call, on coronet and on the reference
# implementation (capnp::EzRpcServer / EzRpcClient) alike.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("coronet::test");

interface Echo {
  echo @0 (text :Text) -> (reply :Text);
  add @1 (a :Int64, b :Int64) -> (sum :Int64);
  # Blocks until cancelled or `ms` pass; `cancelled` tells whether it ran out.
  sleep @2 (ms :UInt32) -> ();
  # Raises an exception of the given rpc.capnp Exception.Type.
  fail @3 (type :UInt16, reason :Text) -> ();
  # Echoes bytes (the 1 MiB benchmark).
  blob @4 (data :Data) -> (data :Data);
}

struct Item {
  key @0 :Text;
  value @1 :Data;
  tags @2 :List(Text);
  version @3 :UInt64;
}

interface Store {
  put @0 (item :Item) -> (version :UInt64);
  # Fails with "no such key: <key>" (type failed) for a missing key.
  get @1 (key :Text) -> (item :Item);
  list @2 (prefix :Text) -> (items :List(Item));
}
