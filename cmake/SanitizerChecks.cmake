# ctest entries of the main build that check the code under sanitizers, in a second build tree
# (build/sanitize) compiled by clang with -fsanitize=address,undefined (UBSan reports fatal) and
# libFuzzer coverage (CLIPRT_SANITIZE=ON, no CUDA, no Vulkan):
#   sanitize_build     configures and builds that tree (cliprt_tests, the cliprt CLI, the fuzzers)
#   asan_core          the core entry's tests in it, halt_on_error, leaks detected
#   asan_goldens_cpu   the goldens_cpu entry's small cases in it (the full-size towers run the same
#                      code on larger shapes; under ASan they take minutes, so they are checked at
#                      development time: `build/sanitize/tests/cliprt_tests --gtest_filter=Goldens/*`)
#   fuzz_<target>      each libFuzzer target for CLIPRT_FUZZ_SECONDS from its committed seed corpus;
#                      any crash, sanitizer report, leak, input slower than 10 s or 2 GiB fails it
# Without clang++ the entries are left out (scripts/setup.sh installs clang and libclang-rt-dev).
# On by default, so CI runs them: in a clean clone's run of .ci/run on the 2-core machine
# (2026-12-02, two fuzzers running beside it) sanitize_build took 392 s, asan_core 89 s,
# asan_goldens_cpu 3 s and each fuzz_<target> 31 s; the whole CI run 22 minutes.
option(CLIPRT_SANITIZER_CHECKS "ctest entries: an ASan+UBSan tree with clang, core + goldens_cpu and fuzzers in it" ON)
set(CLIPRT_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzz_<target> ctest entry fuzzes")
find_program(CLIPRT_CLANGXX NAMES clang++ clang++-14)
if(NOT CLIPRT_SANITIZER_CHECKS)
  return()
endif()
if(NOT CLIPRT_CLANGXX)
  message(STATUS "cliprt: no clang++, so no sanitizer and fuzz ctest entries (scripts/setup.sh installs clang)")
  return()
endif()

set(tree ${CMAKE_BINARY_DIR}/sanitize)
set(fuzz_targets safetensors model_config tokenizer image query http)
set(fuzz_executables)
foreach(name ${fuzz_targets})
  list(APPEND fuzz_executables fuzz_${name})
endforeach()
add_test(NAME sanitize_build
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DBINARY_DIR=${tree} -DCXX=${CLIPRT_CLANGXX}
                 "-DTARGETS=cliprt_tests;cliprt_cli;${fuzz_executables}" -P ${CMAKE_SOURCE_DIR}/cmake/BuildSanitizerTree.cmake)
set_tests_properties(sanitize_build PROPERTIES FIXTURES_SETUP sanitize_tree TIMEOUT 3600)

# Through cmake -E env: the test binary exists only once sanitize_build has run.
set(sanitized ${CMAKE_COMMAND} -E env ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
              UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ${tree}/tests/cliprt_tests)
add_test(NAME asan_core COMMAND ${sanitized} --gtest_filter=-*Vulkan*:*Cuda*:Goldens/*:CpuFast*)
add_test(NAME asan_goldens_cpu COMMAND ${sanitized} --gtest_filter=Goldens/*_small_*)
set_tests_properties(asan_core asan_goldens_cpu PROPERTIES FIXTURES_REQUIRED sanitize_tree TIMEOUT 3600)
foreach(name ${fuzz_targets})
  add_test(NAME fuzz_${name}
           COMMAND bash ${CMAKE_SOURCE_DIR}/fuzz/run_fuzzer.sh ${tree}/fuzz/fuzz_${name}
                   ${CMAKE_SOURCE_DIR}/fuzz/corpus/${name} ${CLIPRT_FUZZ_SECONDS} ${CMAKE_BINARY_DIR}/fuzz_work/${name})
  set_tests_properties(fuzz_${name} PROPERTIES FIXTURES_REQUIRED sanitize_tree TIMEOUT 600)
endforeach()
