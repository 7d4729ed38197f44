@0xe2a7c5b3d1f40911;
interface Pinger {
  ping @0 (n :UInt32) -> (n :UInt32);
}
