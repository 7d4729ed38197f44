# coronet_capnp_generate(TARGET <target> SCHEMAS <a.capnp>... [IMPORT_DIRS <dir>...] [DEPENDS <file>...])
#
# For each schema, one `capnp compile` runs capnpc-c++ and coronet-capnpc, which
# write <name>.capnp.h, <name>.capnp.c++ and <name>.capnp.coronet.hpp into
# ${CMAKE_CURRENT_BINARY_DIR}/capnp_gen. The .c++ files are compiled into
# <target>, which gets that directory as a PUBLIC include directory and links
# Cap'n Proto's library PUBLIC.
#
#   IMPORT_DIRS  where `import "/x.capnp"` looks (-I); relative to the current source dir.
#   DEPENDS      more files whose change regenerates, e.g. the schemas these import
#                (capnp reports no dependencies itself).
#
# Call it in the directory that defines <target>: a custom command's outputs are
# only seen by targets of its own directory. Schema file names must be unique
# per directory (they share capnp_gen/).
#
# The plugin: CORONET_CAPNPC if set, else this build's coronet-capnpc target,
# else the installed coronet::capnpc, else coronet-capnpc on the PATH. It is
# looked up when the function is called, so in this repository call it after
# add_subdirectory(codegen).
#
# Cap'n Proto comes from pkg-config (as in rpc/CMakeLists.txt: Debian's
# CapnProtoConfig.cmake needs the C language enabled): the library as the
# global target PkgConfig::CORONET_CAPNP, the tools as the cache variables
# CAPNP_EXECUTABLE and CAPNPC_CXX_EXECUTABLE (the names CapnProtoConfig.cmake
# uses, so a find_package(CapnProto) before this wins).
include_guard(GLOBAL)

find_package(PkgConfig REQUIRED)
if(NOT TARGET PkgConfig::CORONET_CAPNP)
  pkg_check_modules(CORONET_CAPNP REQUIRED IMPORTED_TARGET GLOBAL capnp>=0.9)
  # Cached: the function may run in other directories than this include.
  set(CORONET_CAPNP_SCHEMA_DIR "${CORONET_CAPNP_INCLUDEDIR}" CACHE INTERNAL "where /capnp/c++.capnp lives")
  find_program(CAPNP_EXECUTABLE capnp HINTS "${CORONET_CAPNP_PREFIX}/bin" REQUIRED)
  find_program(CAPNPC_CXX_EXECUTABLE capnpc-c++ HINTS "${CORONET_CAPNP_PREFIX}/bin" REQUIRED)
endif()

set(CORONET_CAPNPC "" CACHE FILEPATH
  "coronet-capnpc plugin (empty: the coronet-capnpc target, or the installed coronet::capnpc)")

function(coronet_capnp_generate)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET" "SCHEMAS;IMPORT_DIRS;DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "coronet_capnp_generate: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TARGET OR NOT TARGET "${arg_TARGET}")
    message(FATAL_ERROR "coronet_capnp_generate: TARGET must name an existing target (got '${arg_TARGET}')")
  endif()
  if(NOT arg_SCHEMAS)
    message(FATAL_ERROR "coronet_capnp_generate: no SCHEMAS")
  endif()

  if(CORONET_CAPNPC)
    set(plugin "${CORONET_CAPNPC}")
    set(plugin_dep "${CORONET_CAPNPC}")
  elseif(TARGET coronet-capnpc)
    set(plugin "$<TARGET_FILE:coronet-capnpc>")
    set(plugin_dep coronet-capnpc) # builds it first, reruns when it changes
  elseif(TARGET coronet::capnpc)
    set(plugin "$<TARGET_FILE:coronet::capnpc>")
    set(plugin_dep "$<TARGET_FILE:coronet::capnpc>")
  else()
    find_program(CORONET_CAPNPC_FOUND coronet-capnpc)
    if(NOT CORONET_CAPNPC_FOUND)
      message(FATAL_ERROR "coronet_capnp_generate: no coronet-capnpc; set CORONET_CAPNPC")
    endif()
    set(plugin "${CORONET_CAPNPC_FOUND}")
    set(plugin_dep "${CORONET_CAPNPC_FOUND}")
  endif()

  set(import_flags)
  foreach(dir IN LISTS arg_IMPORT_DIRS)
    get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND import_flags "-I${dir}")
  endforeach()
  if(CORONET_CAPNP_SCHEMA_DIR) # for /capnp/c++.capnp when capnp is not under /usr
    list(APPEND import_flags "-I${CORONET_CAPNP_SCHEMA_DIR}")
  endif()

  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/capnp_gen")
  file(MAKE_DIRECTORY "${outdir}")
  set(names)
  foreach(schema IN LISTS arg_SCHEMAS)
    get_filename_component(path "${schema}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${path}")
      message(FATAL_ERROR "coronet_capnp_generate: no schema ${path}")
    endif()
    get_filename_component(dir "${path}" DIRECTORY)
    get_filename_component(name "${path}" NAME)
    if(name IN_LIST names)
      message(FATAL_ERROR "coronet_capnp_generate: two schemas named ${name}")
    endif()
    list(APPEND names "${name}")
    # --src-prefix=<its dir>: the outputs land in outdir itself, not in subdirectories.
    set(base "${outdir}/${name}")
    add_custom_command(
      OUTPUT "${base}.h" "${base}.c++" "${base}.coronet.hpp"
      COMMAND "${CAPNP_EXECUTABLE}" compile ${import_flags} "--src-prefix=${dir}"
              "-o${CAPNPC_CXX_EXECUTABLE}:${outdir}" "-o${plugin}:${outdir}" "${path}"
      DEPENDS "${path}" ${plugin_dep} ${arg_DEPENDS}
      COMMENT "Generating C++ and coronet RPC code for ${name}"
      VERBATIM)
    # The headers are sources too, so that every object of the target waits for them.
    target_sources(${arg_TARGET} PRIVATE "${base}.c++" "${base}.h" "${base}.coronet.hpp")
  endforeach()

  target_include_directories(${arg_TARGET} PUBLIC "$<BUILD_INTERFACE:${outdir}>")
  target_link_libraries(${arg_TARGET} PUBLIC PkgConfig::CORONET_CAPNP)
endfunction()
