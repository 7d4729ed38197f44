# Install and export so a user's project can find_package(coronet) and link coronet::framework etc.
include(CMakePackageConfigHelpers)
install(TARGETS coronet_framework coronet_transports coronet_http coronet_rpc coronet_pubsub coronet_raft_core coronet_consensus
  EXPORT coronetTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY framework/include/ transports/include/ rpc/include/ pubsub/include/ consensus/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT coronetTargets NAMESPACE coronet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coronet)
configure_package_config_file(cmake/coronetConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/coronetConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coronet)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/coronetConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/coronetConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/coronetConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coronet)
