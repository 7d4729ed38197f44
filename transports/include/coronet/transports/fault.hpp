#pragma once
// Fault injection on real transports, without root: a shared fault::plan
// (loss, delay, jitter, duplication, reordering, resets, partitions) applied
// by fault::stream around any connected stream and by fault::datagram_socket
// around a udp::socket. For faults below the sockets (netem, real
// partitions between network namespaces) see scripts/netns-cluster.sh.

#include <coronet/transports/fault/datagram.hpp>
#include <coronet/transports/fault/listener.hpp>
#include <coronet/transports/fault/plan.hpp>
#include <coronet/transports/fault/stream.hpp>
