# Compile options shared by every coronet target (library, tests, bench, cli).
add_library(coronet_options INTERFACE)
target_compile_options(coronet_options INTERFACE -Wall -Wextra -Wno-unused-parameter
  $<$<BOOL:${CORONET_WERROR}>:-Werror>
  # GCC 12 pairs Asio's coroutine-frame operator new with the std::free inside
  # its recycling allocator and warns falsely (seen with -O2 + sanitizers).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>
  # GCC 12 at -O3 flags `"literal" + std::to_string(n)` as an overlapping
  # memcpy of ~2^63 bytes (GCC bug 105651, fixed in 13): a false positive.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>
  # In a unity build every source is #included into a batch file, so GCC takes
  # a source's own anonymous-namespace types for a header's and warns.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<BOOL:$<TARGET_PROPERTY:UNITY_BUILD>>>:-Wno-subobject-linkage>)
if(CORONET_SANITIZE)
  target_compile_options(coronet_options INTERFACE -fsanitize=${CORONET_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all
    # Sanitizer instrumentation misleads GCC's flow analysis: it reports
    # std::regex (inside Catch2) as "maybe uninitialized". The Release tree
    # still checks these warnings with -Werror.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_options(coronet_options INTERFACE -fsanitize=${CORONET_SANITIZE})
endif()
