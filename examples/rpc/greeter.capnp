@0xd5b1c4a2e3f60718;
# The example service: one call-and-return method and one that works as a
# one-way message too.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("greeter");

interface Greeter {
  hello @0 (name :Text) -> (greeting :Text);
  # Counts visits; sent as a one-way message by the client example.
  visit @1 (name :Text) -> ();
  # How many visits the server has seen.
  visits @2 () -> (count :UInt64);
}
