# @brief Build step: turns a text file (the report page's script or style) into a C++ source
# that defines `extern const std::string_view <NAME>` holding it, so the binary carries its own
# page code wherever it is installed.
# usage: cmake -DIN=<file> -DOUT=<file.cpp> -DNAME=<symbol> -P embed_asset.cmake
file(READ "${IN}" content)
string(FIND "${content}" ")flowlab_asset\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )flowlab_asset\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by cmake/embed_asset.cmake; do not edit.\n#include <string_view>\nnamespace flowlab::report::assets {\nextern const std::string_view ${NAME};\nconst std::string_view ${NAME} = R\"flowlab_asset(${content})flowlab_asset\";\n}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
