# @brief System packages only (Debian): no downloads, nothing vendored.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBTINS REQUIRED IMPORTED_TARGET libtins)
pkg_check_modules(LIBPCAP REQUIRED IMPORTED_TARGET libpcap)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
find_package(simdjson 3 REQUIRED)
find_package(absl REQUIRED)
if(FLOWLAB_TESTS)
  find_package(GTest REQUIRED)
endif()
if(FLOWLAB_BENCH)
  find_package(benchmark REQUIRED)
endif()
# The report pages compress their data with zlib (gzip, which every browser can undo).
find_package(ZLIB REQUIRED)

# flowlab_find_chartjs(): where the report pages' charting library is. Chart.js comes from
# Debian's libjs-chart.js and is read at run time (report/src/page.cpp, chart_library(), is the
# only other place that knows); this records the path found here as its default. Missing, it is
# only a warning: everything builds, and `flowlab report` says what to install.
function(flowlab_find_chartjs)
  find_file(FLOWLAB_CHARTJS chart.min.js
    HINTS /usr/share/javascript/chart.js ${CMAKE_INSTALL_PREFIX}/share/javascript/chart.js
    NO_DEFAULT_PATH
    DOC "Chart.js 3 (UMD build) that flowlab report inlines into its pages")
  if(NOT FLOWLAB_CHARTJS)
    message(WARNING "Chart.js not found (Debian: apt-get install libjs-chart.js); flowlab report will look for "
                    "/usr/share/javascript/chart.js/chart.min.js at run time")
    set(FLOWLAB_CHARTJS_DEFAULT /usr/share/javascript/chart.js/chart.min.js PARENT_SCOPE)
  else()
    set(FLOWLAB_CHARTJS_DEFAULT ${FLOWLAB_CHARTJS} PARENT_SCOPE)
  endif()
endfunction()
flowlab_find_chartjs()
