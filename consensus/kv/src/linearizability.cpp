#include <coronet/consensus/kv/linearizability.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace coronet::consensus::kv {

namespace {

constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
constexpr std::uint32_t absent = 0; ///< register value id of "no value"

/// An operation of one key as the search sees it: values are small ids.
struct register_op {
    std::size_t input = 0; ///< index into the checked history
    operation_kind kind = operation_kind::get;
    std::uint32_t value = absent; ///< put: written; get: read
    std::int64_t call = 0;
    std::int64_t ret = 0; ///< `never` for an unknown write
};

struct key_ops {
    std::string_view key;
    std::vector<register_op> ops;
    std::vector<std::string_view> values; ///< by id; [absent] unused
};

// Gets read, puts and dels write. Only "ok" gets and writes that may have
// happened go in. An unknown write that no get could have observed is left
// out too: dropping it is the "never took effect" choice, which is always
// allowed, and it spares the search a branch for every later operation.
key_ops prepare(std::string_view key, const std::vector<std::size_t>& indices, const std::vector<operation>& h) {
    key_ops k{key, {}, {{}}};
    std::unordered_map<std::string_view, std::uint32_t> ids;
    auto intern = [&](std::string_view v) {
        auto [it, added] = ids.try_emplace(v, std::uint32_t(k.values.size()));
        if (added)
            k.values.push_back(v);
        return it->second;
    };
    std::unordered_set<std::uint32_t> read;
    for (auto i : indices)
        if (h[i].kind == operation_kind::get && h[i].outcome == outcome::ok)
            read.insert(h[i].value ? intern(*h[i].value) : absent);
    for (auto i : indices) {
        auto& op = h[i];
        bool is_get = op.kind == operation_kind::get;
        if (op.outcome == outcome::fail || (is_get && op.outcome == outcome::unknown))
            continue;
        auto value = op.value ? intern(*op.value) : absent;
        bool unknown = op.outcome == outcome::unknown;
        if (unknown && !read.contains(value))
            continue;
        k.ops.push_back({i, op.kind, value, op.call_ns, unknown ? never : op.return_ns});
    }
    // The search numbers operations by position here; in call order, those
    // that took effect are mostly a prefix, which keeps its cache small.
    std::stable_sort(k.ops.begin(), k.ops.end(), [](auto& a, auto& b) { return a.call < b.call; });
    return k;
}

std::string quote(std::string_view v) {
    constexpr std::size_t shown_max = 40;
    if (v.size() <= shown_max)
        return '"' + std::string(v) + '"';
    return '"' + std::string(v.substr(0, shown_max)) + "...\" (" + std::to_string(v.size()) + " bytes)";
}

std::string describe(const operation& op) {
    std::string s = "client " + std::to_string(op.client) + " " + std::string(to_string(op.kind));
    if (op.kind == operation_kind::put || (op.kind == operation_kind::get && op.value))
        s += " " + quote(*op.value);
    else if (op.kind == operation_kind::get && op.outcome == outcome::ok)
        s += " (absent)";
    s += " [call " + std::to_string(op.call_ns) + ", return ";
    s += op.outcome == outcome::unknown ? "unknown]" : std::to_string(op.return_ns) + "]";
    if (op.outcome == outcome::fail)
        s += " failed";
    return s;
}

check_result violation(std::string_view key, std::string why, std::vector<std::size_t> involved) {
    check_result r;
    r.key = std::string(key);
    r.explanation = "key " + quote(key) + ": not linearizable: " + std::move(why);
    r.operations = std::move(involved);
    return r;
}

// Every value read must come from a put called before the read returned. This
// finds the plainest violations without a search, and names them plainly.
std::optional<check_result> find_read_without_writer(const key_ops& k, const std::vector<std::size_t>& indices,
                                                     const std::vector<operation>& h) {
    std::vector<std::int64_t> first_put(k.values.size(), never);
    for (auto& op : k.ops)
        if (op.kind == operation_kind::put)
            first_put[op.value] = std::min(first_put[op.value], op.call);
    for (auto& get : k.ops) {
        if (get.kind != operation_kind::get || get.value == absent || first_put[get.value] <= get.ret)
            continue;
        auto& read = h[get.input];
        if (first_put[get.value] != never)
            return violation(k.key, describe(read) + " read a value no put had been called for yet", {get.input});
        for (auto i : indices)
            if (h[i].kind == operation_kind::put && h[i].outcome == outcome::fail && h[i].value == read.value)
                return violation(k.key, describe(read) + " read a value only a failed put wrote: " + describe(h[i]),
                                 {get.input, i});
        return violation(k.key, describe(read) + " read a value no put on this key wrote", {get.input});
    }
    return std::nullopt;
}

std::uint64_t mix(std::uint64_t x) { // splitmix64's finalizer
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// The (linearized set, register value) pairs already explored: reaching one
/// again cannot lead anywhere new (Lowe's cache). A set is kept as the words
/// of its bitset from the first that is not all ones to the last that is not
/// zero: operations are numbered in call order and take effect roughly in it,
/// so that window stays about as wide as the concurrency, however long the
/// history. Open addressing over flat arrays: a search may hold millions.
class state_cache {
public:
    state_cache() : _slots(1024, 0) {}

    /// False if the pair was already there. `low` is the index of window[0].
    bool insert(std::span<const std::uint64_t> window, std::size_t low, std::uint64_t hash, std::uint32_t value) {
        if ((_entries.size() + 1) * 2 > _slots.size())
            grow();
        auto mask = _slots.size() - 1;
        for (auto i = hash & mask;; i = (i + 1) & mask) {
            if (_slots[i] == 0) {
                _slots[i] = std::uint32_t(_entries.size() + 1);
                _entries.push_back({hash, _words.size(), std::uint32_t(low), std::uint32_t(window.size()), value});
                _words.insert(_words.end(), window.begin(), window.end());
                return true;
            }
            auto& e = _entries[_slots[i] - 1];
            if (e.hash == hash && e.value == value && e.low == low && e.size == window.size() &&
                std::equal(window.begin(), window.end(), _words.begin() + std::ptrdiff_t(e.offset)))
                return false;
        }
    }

    std::size_t bytes() const {
        return _words.capacity() * sizeof(std::uint64_t) + _entries.capacity() * sizeof(entry) +
               _slots.size() * sizeof(std::uint32_t);
    }

private:
    struct entry {
        std::uint64_t hash;
        std::size_t offset; ///< of the window in _words
        std::uint32_t low;
        std::uint32_t size;
        std::uint32_t value;
    };

    void grow() {
        std::vector<std::uint32_t> slots(_slots.size() * 2, 0);
        auto mask = slots.size() - 1;
        for (std::size_t e = 0; e < _entries.size(); ++e) {
            auto i = _entries[e].hash & mask;
            while (slots[i] != 0)
                i = (i + 1) & mask;
            slots[i] = std::uint32_t(e + 1);
        }
        _slots = std::move(slots);
    }

    std::vector<std::uint32_t> _slots; ///< entry + 1; 0: empty
    std::vector<entry> _entries;
    std::vector<std::uint64_t> _words;
};

/// What the whole check may still spend, shared by the keys.
struct budget {
    check_options options;
    std::uint64_t explored = 0;
    std::string exhausted; ///< why it ran out; empty while it has not

    bool spend(std::size_t cache_bytes) {
        ++explored;
        if (explored > options.states_max)
            exhausted = "explored more than " + std::to_string(options.states_max) + " states (states_max)";
        else if (cache_bytes > options.cache_bytes_max)
            exhausted = "the state cache passed " + std::to_string(options.cache_bytes_max) + " bytes (cache_bytes_max)";
        else if (explored % 4096 == 0 && options.deadline != std::chrono::steady_clock::time_point::max() &&
                 std::chrono::steady_clock::now() >= options.deadline)
            exhausted = "the deadline passed";
        return exhausted.empty();
    }
};

enum class verdict { linearizable, violation, budget };

/// Wing & Gong's search over one key with Lowe's improvements: operations sit
/// in a doubly linked list of call and return entries in time order; taking
/// effect lifts an operation's two entries out, and backtracking puts them
/// back (dancing links). Only operations called before the first return left
/// may take effect next; a node where none can fails.
class register_search {
public:
    register_search(const key_ops& k, budget& b)
        : _ops(k.ops), _budget(b), _next(2 * _ops.size() + 1), _prev(2 * _ops.size() + 1),
          _bits((_ops.size() + 63) / 64, 0) {
        std::vector<std::pair<std::int64_t, std::size_t>> events; // (time, entry)
        for (std::size_t i = 0; i < _ops.size(); ++i) {
            events.emplace_back(_ops[i].call, 2 * i);
            events.emplace_back(_ops[i].ret, 2 * i + 1);
        }
        // On a tie a call sorts before a return: operations that touch at an
        // instant overlap, since the clock cannot order them.
        std::sort(events.begin(), events.end(), [](auto& a, auto& b) {
            return std::tuple(a.first, a.second & 1, a.second) < std::tuple(b.first, b.second & 1, b.second);
        });
        auto last = head();
        for (auto& [time, e] : events) {
            _next[last] = e;
            _prev[e] = last;
            last = e;
        }
        _next[last] = head();
        _prev[head()] = last;
        for (std::size_t i = 0; i < _ops.size(); ++i)
            _zobrist.push_back(mix(i * 0x2545f4914f6cdd1dULL + 1));
    }

    verdict run();

    std::size_t depth_best = 0;                 ///< the most operations that took effect together
    std::size_t stuck = 0;                      ///< at that point, the op that could not (an index into ops)
    std::vector<std::uint32_t> stuck_values;    ///< what the register held there (a few)

private:
    std::size_t head() const { return 2 * _ops.size(); }

    void lift(std::size_t call) {
        for (auto e : {call, call + 1}) {
            _next[_prev[e]] = _next[e];
            _prev[_next[e]] = _prev[e];
        }
    }
    void unlift(std::size_t call) {
        for (auto e : {call + 1, call}) {
            _next[_prev[e]] = e;
            _prev[_next[e]] = e;
        }
    }
    void flip(std::size_t op) {
        auto w = op / 64;
        _bits[w] ^= std::uint64_t{1} << (op % 64);
        _hash ^= _zobrist[op];
        if (_bits[w] >> (op % 64) & 1) {
            _high = std::max(_high, w + 1);
            while (_low < _bits.size() && _bits[_low] == ~std::uint64_t{0})
                ++_low;
        } else {
            _low = std::min(_low, w);
            while (_high > 0 && _bits[_high - 1] == 0)
                --_high;
        }
    }
    bool remember(std::uint32_t value) {
        std::span<const std::uint64_t> window(_bits.data() + _low, _high > _low ? _high - _low : 0);
        return _cache.insert(window, _low, _hash ^ mix(value), value);
    }
    /// Pushes the candidates of a node where the register holds `value`;
    /// returns where they begin.
    std::size_t expand(std::uint32_t value);
    /// The first return entry left (the operation that must take effect
    /// soonest), or head() if none is.
    std::size_t first_due() const {
        auto e = _next[head()];
        while (e != head() && e % 2 == 0)
            e = _next[e];
        return e;
    }
    /// Every operation left is an unknown write, free never to take effect.
    bool finished() const {
        auto e = first_due();
        return e == head() || _ops[e / 2].ret == never;
    }
    /// Remembers the deepest dead end: the first op due there is a get that
    /// read what the register did not hold (a write could have gone deeper).
    void note_stuck(std::size_t op, std::uint32_t value, std::size_t depth);

    const std::vector<register_op>& _ops;
    budget& _budget;
    std::vector<std::size_t> _next, _prev; ///< entries 2i (call of op i), 2i+1 (its return), head()
    std::vector<std::uint64_t> _bits;      ///< ops that took effect
    std::size_t _low = 0;                  ///< _bits[i] is all ones for every i < _low
    std::size_t _high = 0;                 ///< _bits[i] is zero for every i >= _high
    std::uint64_t _hash = 0;               ///< of _bits
    std::vector<std::uint64_t> _zobrist;
    state_cache _cache;
    std::vector<std::size_t> _candidates; ///< call entries, each node's after its parent's
    std::vector<std::uint32_t> _window_reads; ///< expand()'s scratch: what the gets it saw read
    bool _stuck_seen = false;
};

// Every node of the search tries the operations that may take effect next:
// those called before the first pending return. Lowe tries them all in call
// order; here
// - a get that reads the register's value goes alone: if any order works from
//   here, one with that get first does (it changes nothing, and nothing
//   pending had to precede it);
// - an unknown write goes only just before a get (called by now) that reads
//   its value: where no get reads it, it may as well never have happened;
// - the writes that let the first pending return happen go first: that
//   operation if it is a write, else the writes of the value it read. The
//   rest follow, so the search stays complete; this order only finds a way
//   through a linearizable history with fewer dead ends when writes overlap.
std::size_t register_search::expand(std::uint32_t value) {
    auto begin = _candidates.size();
    _window_reads.clear();
    auto e = _next[head()];
    for (; e % 2 == 0; e = _next[e]) {
        auto& op = _ops[e / 2];
        if (op.kind != operation_kind::get) {
            _candidates.push_back(e);
        } else if (op.value == value) {
            _candidates.resize(begin);
            _candidates.push_back(e);
            return begin;
        } else {
            _window_reads.push_back(op.value);
        }
    }
    auto unread = [&](std::size_t call) {
        auto& op = _ops[call / 2];
        return op.ret == never && std::find(_window_reads.begin(), _window_reads.end(), op.value) == _window_reads.end();
    };
    _candidates.erase(std::remove_if(_candidates.begin() + std::ptrdiff_t(begin), _candidates.end(), unread),
                      _candidates.end());
    auto& first_due = _ops[e / 2];
    auto wanted = [&](std::size_t call) {
        if (first_due.kind != operation_kind::get)
            return call / 2 == e / 2;
        return _ops[call / 2].value == first_due.value;
    };
    std::stable_partition(_candidates.begin() + std::ptrdiff_t(begin), _candidates.end(), wanted);
    return begin;
}

verdict register_search::run() {
    struct node {
        std::uint32_t value;   ///< the register here
        std::size_t begin;     ///< of this node's candidates in _candidates
        std::size_t tried;     ///< candidates tried so far
        std::size_t taken = 0; ///< the call entry of the candidate being explored below
    };
    std::vector<node> path;
    if (!finished())
        path.push_back({absent, expand(absent), 0});
    while (!path.empty()) {
        auto& at = path.back();
        if (at.begin + at.tried < _candidates.size()) { // a node's candidates end the arena while it is deepest
            auto call = _candidates[at.begin + at.tried++];
            auto& op = _ops[call / 2];
            auto after = op.kind == operation_kind::get ? at.value : op.value;
            flip(call / 2);
            if (!remember(after)) {
                flip(call / 2);
                continue;
            }
            if (!_budget.spend(_cache.bytes()))
                return verdict::budget;
            at.taken = call;
            lift(call);
            if (finished())
                return verdict::linearizable;
            auto begin = expand(after);
            path.push_back({after, begin, 0});
            continue;
        }
        note_stuck(first_due() / 2, at.value, path.size() - 1);
        _candidates.resize(at.begin);
        path.pop_back();
        if (path.empty())
            break;
        flip(path.back().taken / 2);
        unlift(path.back().taken);
    }
    return finished() ? verdict::linearizable : verdict::violation;
}

void register_search::note_stuck(std::size_t op, std::uint32_t value, std::size_t depth) {
    if (!_stuck_seen || depth > depth_best) {
        _stuck_seen = true;
        depth_best = depth;
        stuck = op;
        stuck_values = {value};
    } else if (depth == depth_best && op == stuck && stuck_values.size() < 4 &&
               std::find(stuck_values.begin(), stuck_values.end(), value) == stuck_values.end()) {
        stuck_values.push_back(value);
    }
}

// The get the search could not place, then what constrains it: the last write
// to return before it was called, the put of the value it read, and the writes
// that overlap it.
check_result explain(const key_ops& k, const register_search& s, const std::vector<operation>& h) {
    auto& stuck = k.ops[s.stuck];
    std::string holds;
    for (auto v : s.stuck_values)
        holds += (holds.empty() ? "" : " or ") + (v == absent ? std::string("nothing") : quote(k.values[v]));
    std::string why = "ordering as many as real time allows (" + std::to_string(s.depth_best) + " of " +
                      std::to_string(k.ops.size()) + " operations) leaves " + describe(h[stuck.input]) +
                      ", which cannot take effect: the register then holds " + holds;
    std::vector<std::size_t> involved{stuck.input};
    auto is_write = [](const register_op& op) { return op.kind != operation_kind::get; };
    const register_op* last = nullptr;
    for (auto& op : k.ops)
        if (is_write(op) && op.ret < stuck.call && (!last || op.ret > last->ret))
            last = &op;
    if (last) {
        why += "; the last write to return before it was called: " + describe(h[last->input]);
        involved.push_back(last->input);
    }
    const register_op* source = nullptr;
    for (auto& op : k.ops)
        if (op.kind == operation_kind::put && op.value == stuck.value && op.call <= stuck.ret &&
            (!source || op.call > source->call))
            source = &op;
    if (source && source != last) {
        why += "; the value read was written by " + describe(h[source->input]);
        involved.push_back(source->input);
    }
    constexpr std::size_t overlapping_shown_max = 3;
    std::size_t overlapping = 0;
    for (auto& op : k.ops) {
        if (!is_write(op) || op.call > stuck.ret || op.ret < stuck.call || &op == last || &op == source)
            continue;
        if (++overlapping > overlapping_shown_max)
            break;
        why += (overlapping == 1 ? "; overlapping it: " : ", ") + describe(h[op.input]);
        involved.push_back(op.input);
    }
    return violation(k.key, std::move(why), std::move(involved));
}

} // namespace

check_result check_linearizable(const std::vector<operation>& history, check_options options) {
    std::map<std::string_view, std::vector<std::size_t>> by_key; // ordered: the same history gets the same report
    for (std::size_t i = 0; i < history.size(); ++i) {
        try {
            validate(history[i]);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("operation " + std::to_string(i) + ": " + e.what());
        }
        by_key[history[i].key].push_back(i);
    }
    // Every key's cheap check before any search, so that a search that runs out
    // of budget on one key does not hide a plain violation on another.
    std::vector<key_ops> keys;
    for (auto& [key, indices] : by_key) {
        keys.push_back(prepare(key, indices, history));
        if (auto v = find_read_without_writer(keys.back(), indices, history))
            return *v;
    }
    budget b{options, 0, {}};
    for (auto& k : keys) {
        register_search s(k, b);
        auto outcome = s.run();
        if (outcome == verdict::linearizable)
            continue;
        check_result r;
        if (outcome == verdict::violation) {
            r = explain(k, s, history);
        } else {
            r.timed_out = true;
            r.key = std::string(k.key);
            r.explanation = "key " + quote(k.key) + ": gave up, undecided: " + b.exhausted;
        }
        r.states_explored = b.explored;
        return r;
    }
    check_result r;
    r.ok = true;
    r.states_explored = b.explored;
    return r;
}

} // namespace coronet::consensus::kv
