# @brief Compile options that only flowlab's own targets get (via flowlab_options).
add_library(flowlab_options INTERFACE)
target_compile_options(flowlab_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       -Wconversion -Wno-sign-conversion)
if(FLOWLAB_WERROR)
  target_compile_options(flowlab_options INTERFACE -Werror)
endif()
# GCC 12 at -O3 reports -Wrestrict inside libstdc++ for `"literal" + std::string` (GCC PR 105329),
# a false positive that would fail every -Werror Release build; later GCC releases fixed it.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(flowlab_options INTERFACE -Wno-restrict)
endif()
if(FLOWLAB_SANITIZE)
  target_compile_options(flowlab_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
  target_link_options(flowlab_options INTERFACE -fsanitize=address,undefined)
endif()

# One static library per module: flowlab_module(<name> SOURCES ... DEPS ...).
function(flowlab_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(flowlab_${name} STATIC ${ARG_SOURCES})
  add_library(flowlab::${name} ALIAS flowlab_${name})
  target_include_directories(flowlab_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_features(flowlab_${name} PUBLIC cxx_std_20)
  target_link_libraries(flowlab_${name} PUBLIC ${ARG_DEPS} PRIVATE flowlab_options)
endfunction()

# Coverage instrumentation for libFuzzer in every flowlab library the fuzz targets link.
if(FLOWLAB_FUZZ)
  target_compile_options(flowlab_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
