@0x87bd8b286c4c8203;
# The interface rpc_fuzz serves: an Echo like tests/rpc/test.capnp's, kept
# here so that the fuzzer and its seed corpus do not change with the tests.
# The interface id (and so the seeds' Call messages) depends on this file id
# and the interface's name: regenerate the corpus (rpc_fuzz_seeds) if either
# changes.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("coronet::fuzz");

interface Echo {
  echo @0 (text :Text) -> (reply :Text);
  add @1 (a :Int64, b :Int64) -> (sum :Int64);
  # Waits min(ms, 10000) ms of virtual time, or until cancelled (Finish, close).
  sleep @2 (ms :UInt32) -> ();
  # Raises an exception of the given rpc.capnp Exception.Type (> 3: a plain
  # std::runtime_error, which arrives as failed).
  fail @3 (type :UInt16, reason :Text) -> ();
  blob @4 (data :Data) -> (data :Data);
  # Reads every element: params that are deep or wide reach the traversal
  # and nesting limits inside the method, not the dispatcher.
  walk @5 (items :List(Item)) -> (count :UInt64, bytes :UInt64);
}

struct Item {
  key @0 :Text;
  value @1 :Data;
  children @2 :List(Item);
}
