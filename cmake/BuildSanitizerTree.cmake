# cmake -P script run by the sanitize_build ctest entry: configures SOURCE_DIR into BINARY_DIR with
# the clang++ CXX and CLIPRT_SANITIZE=ON (no CUDA, no Vulkan: the sanitized entries run on the
# CPU) as a unity build (the libraries' files compiled a batch at a time; the tests stay one file
# per unit), then builds TARGETS with two jobs.
# Incremental after the first run.
foreach(var SOURCE_DIR BINARY_DIR CXX TARGETS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "BuildSanitizerTree.cmake needs -D${var}=...")
  endif()
endforeach()
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -DCMAKE_CXX_COMPILER=${CXX}
          -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1" -DCLIPRT_SANITIZE=ON
          -DCMAKE_UNITY_BUILD=ON
          -DCLIPRT_WERROR=OFF -DCLIPRT_CUDA=OFF -DCMAKE_DISABLE_FIND_PACKAGE_Vulkan=ON
  RESULT_VARIABLE configured)
if(NOT configured EQUAL 0)
  message(FATAL_ERROR "configuring the sanitizer tree ${BINARY_DIR} failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -j2 --target ${TARGETS} RESULT_VARIABLE built)
if(NOT built EQUAL 0)
  message(FATAL_ERROR "building the sanitizer tree ${BINARY_DIR} failed")
endif()
