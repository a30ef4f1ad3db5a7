# Install rules: `cmake --install build --prefix P` puts
#   P/bin/spikessm                          the command-line tool
#   P/lib/libspikessm.a                     the library (static; its dependencies are shared)
#   P/include/spikessm/...                  the public headers
#   P/lib/cmake/spikessm/                   find_package(spikessm) -> spikessm::spikessm
#   P/lib/pkgconfig/spikessm.pc             pkg-config --cflags --libs spikessm
#   P/share/doc/spikessm/                   LICENSE, NOTICE, CHANGELOG.md, README.md
# The installed target carries the library's link dependencies (LibTorch, OpenMP, HDF5, ...)
# but none of this build's compile flags (no -march=native, no warnings): a consumer compiles
# with its own.
include(CMakePackageConfigHelpers)

set(SPIKESSM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/spikessm)

install(TARGETS spikessm RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS spikessm_lib EXPORT spikessmTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/spikessm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT spikessmTargets NAMESPACE spikessm:: DESTINATION ${SPIKESSM_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/spikessmConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/spikessmConfig.cmake
                              INSTALL_DESTINATION ${SPIKESSM_CMAKE_DIR})
# 0.x: a new minor version may change the API, so find_package(spikessm 0.1) accepts 0.1.*.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/spikessmConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/spikessmConfig.cmake
              ${PROJECT_BINARY_DIR}/spikessmConfigVersion.cmake
        DESTINATION ${SPIKESSM_CMAKE_DIR})

# pkg-config: LibTorch ships no .pc file, so its include directories and libraries are written
# out from what find_package(Torch) found; the other dependencies are named as pkg-config
# modules where Debian ships one.
set(SPIKESSM_PC_TORCH_CFLAGS "")
foreach(dir ${TORCH_INCLUDE_DIRS})
  # -I/usr/include would break the compiler's #include_next of its own C++ headers.
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND SPIKESSM_PC_TORCH_CFLAGS " -I${dir}")
  endif()
endforeach()
get_filename_component(SPIKESSM_PC_TORCH_LIBDIR "${c10_LIBRARY}" DIRECTORY)
set(SPIKESSM_PC_HDF5_LIBS "")
foreach(lib ${HDF5_C_LIBRARIES})
  string(APPEND SPIKESSM_PC_HDF5_LIBS " ${lib}")
endforeach()
# From <prefix>/<libdir>/pkgconfig back to <prefix>, e.g. "../..".
file(RELATIVE_PATH SPIKESSM_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/spikessm.pc.in ${PROJECT_BINARY_DIR}/spikessm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/spikessm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/NOTICE
              ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
