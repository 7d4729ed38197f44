// coronet-capnpc: a Cap'n Proto compiler plugin. For each schema foo.capnp
// on the command line it writes foo.capnp.coronet.hpp, which holds, per
// interface, a server base `<Name>Service` (derives from rpc::service) and a
// client stub `<Name>Client` (derives from rpc::client_base).
//
//   capnp compile -oc++:OUT -ocoronet-capnpc:OUT foo.capnp
//
// capnp runs a plugin in its output directory and feeds it a
// CodeGeneratorRequest on stdin. The header includes "foo.capnp.h" by a
// relative path, so the capnpc-c++ output must land in the same directory.
//
// Naming rules (what a user of the generated code needs to know):
//  - Class names: the interface's C++ name ($Cxx.name is honoured, as
//    capnpc-c++ does), with the names of enclosing scopes joined by '_':
//    `Outer.Inner` -> Outer_InnerService / Outer_InnerClient, declared in the
//    file's $Cxx.namespace (the global namespace without one).
//  - Method names are the methods' C++ names. One that is a C++ keyword, a
//    libc macro (assert, errno, major, ...) or a name the generated classes or
//    their bases already use (call, call_blocking, cap, dispatch, implements,
//    interface_id, interface_name, name) gets a trailing underscore:
//    `call` -> call_() and call_blocking_(). capnp forbids '_' in names, so an
//    added underscore cannot collide with another method.
//  - An interface offers the methods of every interface it extends too,
//    flattened (each ancestor once). An inherited method whose name is also
//    used by another method of that set is prefixed with its own interface's
//    class name: Base.get, seen from an interface with its own get, is
//    Base_get().
//  - Ids are those of capnp's own RPC: the interface's node id, and the
//    method's index in the schema's method list (the @N ordinal).
//  - Param/result types: a named struct (`put @0 Item -> ...`) is used as is;
//    an implicit one is the struct capnpc-c++ nests in the interface,
//    `<Method with first letter upper-cased>Params` / `...Results`.
// Generic interfaces, generic methods and generic param/result structs are
// rejected with a message on stderr and exit status 1.

#include <capnp/schema.capnp.h>
#include <capnp/serialize.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

namespace schema = capnp::schema;

// Annotation ids from /capnp/c++.capnp.
constexpr std::uint64_t cxx_namespace_id = 0xb9c6f99ebf805f2cull;
constexpr std::uint64_t cxx_name_id = 0xf264a779fef191ceull;

struct generator_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Names a generated method must not take (see the rules above).
const std::set<std::string> reserved_names = {
    // C++20 keywords and alternative tokens
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
    "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
    "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
    "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
    "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
    "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
    "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
    // lower-case macros a system header may define
    "assert", "errno", "linux", "unix", "major", "minor",
    // members of the generated classes and of rpc::service / rpc::client_base
    "call", "call_blocking", "cap", "dispatch", "implements", "interface_id", "interface_name", "name"};

std::string escape(std::string n) {
    if (reserved_names.count(n)) n += '_';
    return n;
}

std::string hex(std::uint64_t id) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llxull", static_cast<unsigned long long>(id));
    return buf;
}

std::optional<std::string> annotation_text(capnp::List<schema::Annotation>::Reader list, std::uint64_t id) {
    for (auto a : list)
        if (a.getId() == id && a.getValue().isText()) return std::string(a.getValue().getText().cStr());
    return std::nullopt;
}

// Lookups over every node of the request (the requested files and their
// imports), for names that must be spelled as capnpc-c++ spells them.
class schema_index {
public:
    explicit schema_index(schema::CodeGeneratorRequest::Reader req) {
        for (auto n : req.getNodes()) _nodes.emplace(n.getId(), n);
    }

    schema::Node::Reader node(std::uint64_t id) const {
        auto it = _nodes.find(id);
        if (it == _nodes.end()) throw generator_error("node " + hex(id) + " is missing from the request");
        return it->second;
    }

    /// A display name without its file: "Outer.Inner".
    static std::string schema_name(schema::Node::Reader n) {
        std::string d = n.getDisplayName().cStr();
        auto colon = d.find(':');
        return colon == std::string::npos ? d : d.substr(colon + 1);
    }

    /// The C++ names of the scopes from below the file down to `id`.
    std::vector<std::string> scope_path(std::uint64_t id) const {
        std::vector<std::string> path;
        for (auto n = node(id); !n.isFile(); n = node(n.getScopeId())) {
            if (n.getScopeId() == 0) throw generator_error(schema_name(n) + " has no scope");
            path.insert(path.begin(), cpp_name(n));
        }
        return path;
    }

    /// "::demo::v1::Outer::Inner" ("::Outer::Inner" without a namespace).
    std::string qualified(std::uint64_t id) const {
        std::string q = file_namespace(file_of(id));
        if (!q.empty()) q = "::" + q;
        for (auto& s : scope_path(id)) q += "::" + s;
        return q;
    }

    /// "Outer_Inner": the prefix of the generated class names.
    std::string flat(std::uint64_t id) const {
        std::string f;
        for (auto& s : scope_path(id)) f += (f.empty() ? "" : "_") + s;
        return f;
    }

    /// "demo::v1", or "" for the global namespace.
    static std::string file_namespace(schema::Node::Reader file) {
        return annotation_text(file.getAnnotations(), cxx_namespace_id).value_or("");
    }

    schema::Node::Reader file_of(std::uint64_t id) const {
        auto n = node(id);
        while (!n.isFile()) n = node(n.getScopeId());
        return n;
    }

    /// True if the node or a scope around it has type parameters.
    bool generic(std::uint64_t id) const { return node(id).getIsGeneric(); }

private:
    std::string cpp_name(schema::Node::Reader n) const {
        if (auto a = annotation_text(n.getAnnotations(), cxx_name_id)) return *a;
        for (auto nested : node(n.getScopeId()).getNestedNodes())
            if (nested.getId() == n.getId()) return nested.getName().cStr();
        throw generator_error(schema_name(n) + " is not among its parent's nested nodes");
    }

    std::unordered_map<std::uint64_t, schema::Node::Reader> _nodes;
};

struct method_info {
    std::uint64_t interface_id;
    std::string interface_schema_name; // "Base", for comments
    std::uint16_t method_id;
    std::string schema_name;           // "get"
    std::string cpp_name;              // after $Cxx.name
    std::string params, results;       // fully qualified struct types
    std::string function, blocking;    // the generated member names
};

struct interface_info {
    std::uint64_t id;
    std::string schema_name, flat;
    std::vector<std::uint64_t> ancestors; // itself first, then what it extends, each once
    std::vector<method_info> methods;     // own, then inherited, in `ancestors` order
};

std::string method_cpp_name(schema::Method::Reader m) {
    return annotation_text(m.getAnnotations(), cxx_name_id).value_or(m.getName().cStr());
}

// capnpc-c++ names a method's implicit param/result struct after the method.
std::string struct_type(const schema_index& idx, std::uint64_t interface_id, schema::Method::Reader m,
                        std::uint64_t struct_id, const char* suffix) {
    auto s = idx.node(struct_id);
    if (s.getScopeId() == 0) { // implicit: `(a :T, ...)`
        auto n = method_cpp_name(m);
        if (!n.empty()) n[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(n[0])));
        return idx.qualified(interface_id) + "::" + n + suffix;
    }
    if (idx.generic(struct_id))
        throw generator_error("method " + schema_index::schema_name(idx.node(interface_id)) + "." +
                              m.getName().cStr() + " uses the generic struct " +
                              schema_index::schema_name(s) + "; generics are not supported");
    return idx.qualified(struct_id);
}

void collect_ancestors(const schema_index& idx, std::uint64_t id, std::vector<std::uint64_t>& out) {
    for (auto seen : out)
        if (seen == id) return;
    auto n = idx.node(id);
    if (!n.isInterface()) throw generator_error(schema_index::schema_name(n) + " is not an interface");
    if (n.getIsGeneric())
        throw generator_error("interface " + schema_index::schema_name(n) + " is generic; generics are not supported");
    out.push_back(id);
    for (auto sc : n.getInterface().getSuperclasses()) collect_ancestors(idx, sc.getId(), out);
}

interface_info describe(const schema_index& idx, std::uint64_t id) {
    interface_info info{id, schema_index::schema_name(idx.node(id)), idx.flat(id), {}, {}};
    collect_ancestors(idx, id, info.ancestors);
    for (auto aid : info.ancestors) {
        auto a = idx.node(aid);
        auto methods = a.getInterface().getMethods();
        for (unsigned i = 0; i < methods.size(); ++i) {
            auto m = methods[i];
            auto where = schema_index::schema_name(a) + "." + m.getName().cStr();
            if (m.getImplicitParameters().size() != 0)
                throw generator_error("method " + where + " is generic; generics are not supported");
            info.methods.push_back({aid, schema_index::schema_name(a), static_cast<std::uint16_t>(i),
                                    m.getName().cStr(), method_cpp_name(m),
                                    struct_type(idx, aid, m, m.getParamStructType(), "Params"),
                                    struct_type(idx, aid, m, m.getResultStructType(), "Results"), {}, {}});
        }
    }
    // Member names: see the rules at the top of this file.
    std::map<std::string, int> uses;
    for (auto& m : info.methods) ++uses[m.cpp_name];
    std::set<std::string> taken;
    for (auto& m : info.methods) {
        auto base = m.cpp_name;
        if (m.interface_id != id && uses[base] > 1) base = idx.flat(m.interface_id) + "_" + base;
        m.function = escape(base);
        m.blocking = escape(base + "_blocking");
        for (auto* n : {&m.function, &m.blocking})
            if (!taken.insert(*n).second)
                throw generator_error("interface " + info.schema_name + ": two methods would both be named " + *n +
                                      " in C++; rename one (e.g. with $Cxx.name)");
    }
    return info;
}

void collect_interfaces(const schema_index& idx, schema::Node::Reader scope, std::vector<std::uint64_t>& out) {
    for (auto nested : scope.getNestedNodes()) {
        auto n = idx.node(nested.getId());
        if (n.isInterface()) out.push_back(n.getId());
        collect_interfaces(idx, n, out);
    }
}

void emit_service(std::string& o, const interface_info& in) {
    auto cls = in.flat + "Service";
    o += "/// Server side of " + in.schema_name + ": implement each method as a coroutine that reads `params`\n"
         "/// and fills `results` in place.\n";
    o += "class " + cls + " : public ::coronet::rpc::service {\npublic:\n";
    o += "    static constexpr ::std::uint64_t interface_id = " + hex(in.id) + ";\n";
    o += "    static constexpr ::std::string_view name = \"" + in.schema_name + "\";\n";
    if (!in.methods.empty()) o += "\n";
    for (auto& m : in.methods) {
        o += "    // " + m.interface_schema_name + "." + m.schema_name + " @" + std::to_string(m.method_id) + "\n";
        o += "    virtual ::boost::asio::awaitable<void> " + m.function + "(" + m.params + "::Reader params, " +
             m.results + "::Builder results, ::coronet::rpc::call_context& ctx) = 0;\n";
    }
    o += "\n    ::std::string_view interface_name() const override { return name; }\n\n";
    o += "    bool implements(::std::uint64_t id) const override {\n        return id == interface_id";
    for (std::size_t i = 1; i < in.ancestors.size(); ++i) o += "\n            || id == " + hex(in.ancestors[i]);
    o += ";\n    }\n\n";
    // Not a coroutine: it hands back the method's own awaitable, so a call
    // costs no extra frame. throw_unimplemented is [[noreturn]].
    o += "    ::boost::asio::awaitable<void> dispatch(::std::uint64_t iid, ::std::uint16_t mid,\n"
         "                                          ::coronet::rpc::incoming_call&" +
         std::string(in.methods.empty() ? "" : " call") + ") override {\n";
    if (!in.methods.empty()) {
        o += "        switch (iid) {\n";
        for (auto aid : in.ancestors) {
            std::vector<const method_info*> of;
            for (auto& m : in.methods)
                if (m.interface_id == aid) of.push_back(&m);
            if (of.empty()) continue;
            o += "        case " + (aid == in.id ? std::string("interface_id") : hex(aid)) + ": // " +
                 of.front()->interface_schema_name + "\n            switch (mid) {\n";
            for (auto* m : of)
                o += "            case " + std::to_string(m->method_id) + ":\n                return this->" +
                     m->function + "(call.params<" + m->params + ">(), call.results<" + m->results +
                     ">(), call.context());\n";
            o += "            }\n            break;\n";
        }
        o += "        }\n";
    }
    o += "        ::coronet::rpc::throw_unimplemented(name, iid, mid);\n    }\n};\n\n";
}

void emit_client(std::string& o, const interface_info& in) {
    auto cls = in.flat + "Client";
    o += "/// Client side of " + in.schema_name + ": `fill` is called with the params builder before the call is\n"
         "/// sent. A call's awaitable owns copies of the capability and of `fill`: it may be co_spawned.\n";
    o += "class " + cls + " : public ::coronet::rpc::client_base {\npublic:\n";
    o += "    static constexpr ::std::uint64_t interface_id = " + hex(in.id) + ";\n";
    o += "    using client_base::client_base;\n";
    for (auto& m : in.methods) {
        auto id = m.interface_id == in.id ? std::string("interface_id") : hex(m.interface_id);
        auto args = "(" + id + ", " + std::to_string(m.method_id) + ", ::std::forward<Fill>(fill), o);\n    }\n";
        auto types = "<" + m.params + ", " + m.results + ">";
        o += "\n    // " + m.interface_schema_name + "." + m.schema_name + " @" + std::to_string(m.method_id) + "\n";
        o += "    template <class Fill = ::coronet::rpc::no_params>\n";
        o += "    ::boost::asio::awaitable<::coronet::rpc::response<" + m.results + ">> " + m.function +
             "(Fill&& fill = {}, ::coronet::rpc::call_options o = {}) const {\n";
        o += "        return ::coronet::rpc::client_base::call" + types + args;
        o += "    template <class Fill = ::coronet::rpc::no_params>\n";
        o += "    ::coronet::rpc::response<" + m.results + "> " + m.blocking +
             "(Fill&& fill = {}, ::coronet::rpc::call_options o = {}) const {\n";
        o += "        return ::coronet::rpc::client_base::call_blocking" + types + args;
        // One-way (coronet's extension, see rpc::messenger): no Return, so no results.
        o += "    template <class Fill = ::coronet::rpc::no_params>\n";
        o += "    static ::boost::asio::awaitable<void> post_" + m.function +
             "(::coronet::rpc::messenger& m, Fill&& fill = {}) {\n";
        o += "        return m.post<" + m.params + ">(" + id + ", " + std::to_string(m.method_id) +
             ", ::std::forward<Fill>(fill));\n    }\n";
    }
    o += "};\n\n";
}

std::string generate(const schema_index& idx, schema::CodeGeneratorRequest::RequestedFile::Reader file) {
    std::filesystem::path path(file.getFilename().cStr());
    auto file_node = idx.node(file.getId());
    std::vector<std::uint64_t> ids;
    collect_interfaces(idx, file_node, ids);
    std::vector<interface_info> interfaces;
    for (auto id : ids) interfaces.push_back(describe(idx, id));

    std::string o = "// Generated by coronet-capnpc from " + path.filename().string() + ". Do not edit.\n";
    o += "#pragma once\n\n#include \"" + path.filename().string() + ".h\"\n\n";
    if (interfaces.empty()) return o + "// (no interfaces)\n";
    o += "#include <coronet/rpc/client.hpp>\n#include <coronet/rpc/service.hpp>\n\n"
         "#include <boost/asio/awaitable.hpp>\n\n#include <cstdint>\n#include <string_view>\n#include <utility>\n\n";
    auto ns = schema_index::file_namespace(file_node);
    if (!ns.empty()) o += "namespace " + ns + " {\n\n";
    for (auto& in : interfaces) {
        emit_service(o, in);
        emit_client(o, in);
    }
    if (!ns.empty()) o += "} // namespace " + ns + "\n";
    return o;
}

} // namespace

int main() {
    try {
        // The request holds every node of the schemas and their imports: let
        // it be as big as it is.
        capnp::ReaderOptions options;
        options.traversalLimitInWords = std::uint64_t(1) << 40;
        options.nestingLimit = 1024;
        capnp::StreamFdMessageReader reader(0, options);
        auto req = reader.getRoot<schema::CodeGeneratorRequest>();
        schema_index idx(req);
        for (auto file : req.getRequestedFiles()) {
            std::string name = file.getFilename().cStr();
            std::string text;
            try {
                text = generate(idx, file);
            } catch (const generator_error& e) {
                throw generator_error(name + ": " + e.what());
            }
            // Written where capnpc-c++ writes foo.capnp.h: the same relative path.
            std::filesystem::path out = name + ".coronet.hpp";
            if (out.is_absolute()) out = out.relative_path();
            if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
            std::ofstream f(out, std::ios::binary | std::ios::trunc);
            f << text;
            f.close();
            if (!f) throw generator_error("cannot write " + out.string());
        }
        return 0;
    } catch (const generator_error& e) {
        std::cerr << "coronet-capnpc: " << e.what() << "\n";
    } catch (const kj::Exception& e) {
        std::cerr << "coronet-capnpc: cannot read the CodeGeneratorRequest: " << e.getDescription().cStr() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "coronet-capnpc: " << e.what() << "\n";
    }
    return 1;
}
