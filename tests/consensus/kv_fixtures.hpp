#pragma once
// The consensus modules the KV suite runs on. Each fixture owns a module and
// the store it applies to; the suite sees only `module` and `kv::service`, so
// adding a module here runs every KV test on it.

#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/single_node.hpp>

namespace coronet::test {

struct single_node_fixture {
    static constexpr const char* name = "single_node";
    explicit single_node_fixture(consensus::kv::store_options o = {}) : store(o), module(store) {}
    consensus::kv::store store;
    consensus::single_node module;
};

} // namespace coronet::test
