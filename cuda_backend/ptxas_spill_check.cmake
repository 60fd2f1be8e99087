# Compiler launcher of the CUDA sources (CI has no Python, so this is CMake script):
#
#   cmake -P ptxas_spill_check.cmake -- <nvcc> <arguments...>
#
# runs nvcc with --resource-usage, writes ptxas' per-kernel report as a table to
# <object>.resource-usage.txt and fails the compile if any function of any architecture spills
# registers to local memory (spill stores or spill loads > 0). nvcc's other output is passed on.
set(command "")
set(object "")
set(after_separator FALSE)
set(next_is_object FALSE)
math(EXPR last_arg "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last_arg})
  set(arg "${CMAKE_ARGV${i}}")
  if(NOT after_separator)
    if(arg STREQUAL "--")
      set(after_separator TRUE)
    endif()
    continue()
  endif()
  list(APPEND command "${arg}")
  if(next_is_object)
    set(object "${arg}")
  endif()
  set(next_is_object FALSE)
  if(arg STREQUAL "-o")
    set(next_is_object TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "usage: cmake -P ptxas_spill_check.cmake -- <nvcc> <arguments...>")
endif()

execute_process(COMMAND ${command} --resource-usage
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)

# ptxas reports, per architecture and function:
#   ptxas info    : Compiling entry function '<name>' for 'sm_80'
#   ptxas info    : Function properties for <name>
#       0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
#   ptxas info    : Used 40 registers, used 1 barriers, 33280 bytes smem, 400 bytes cmem[0]
string(REPLACE ";" "," err "${err}")
string(REPLACE "\n" ";" lines "${err}")
set(passed_on "")
set(table "arch\tregisters\tstack\tspill_stores\tspill_loads\tfunction\n")
set(spills "")
set(arch "?")
set(function "?")
set(stack "0")
set(spill_stores "0")
set(spill_loads "0")
foreach(line IN LISTS lines)
  if(line MATCHES "^ptxas info +: Compiling entry function '([^']+)' for '([^']+)'")
    set(function "${CMAKE_MATCH_1}")
    set(arch "${CMAKE_MATCH_2}")
  elseif(line MATCHES "^ptxas info +: Function properties for (.+)$")
    set(function "${CMAKE_MATCH_1}")
  elseif(line MATCHES "([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads")
    set(stack "${CMAKE_MATCH_1}")
    set(spill_stores "${CMAKE_MATCH_2}")
    set(spill_loads "${CMAKE_MATCH_3}")
    if(spill_stores GREATER 0 OR spill_loads GREATER 0)
      string(APPEND spills "  ${function} (${arch}): ${spill_stores} bytes spill stores, ${spill_loads} bytes spill loads\n")
    endif()
  elseif(line MATCHES "^ptxas info +: Used ([0-9]+) registers")
    string(APPEND table "${arch}\t${CMAKE_MATCH_1}\t${stack}\t${spill_stores}\t${spill_loads}\t${function}\n")
  elseif(NOT line MATCHES "^ptxas info" AND NOT line STREQUAL "")
    string(APPEND passed_on "${line}\n")
  endif()
endforeach()

if(out)
  message("${out}")
endif()
if(passed_on)
  message("${passed_on}")
endif()
if(NOT status EQUAL 0)
  message(FATAL_ERROR "nvcc failed (${status})")
endif()
if(object)
  file(WRITE "${object}.resource-usage.txt" "${table}")
endif()
if(spills)
  # Without the object the next build compiles (and checks) the file again.
  file(REMOVE "${object}")
  message(FATAL_ERROR "CUDA kernels spill registers to local memory (resource usage in ${object}.resource-usage.txt):\n${spills}")
endif()
