# cmake -DINPUT=x.spv -DOUTPUT=x.inc -DNAME=x -P spirv_to_inc.cmake
# Writes `static const uint32_t spirv_<NAME>[] = {...};` from a little-endian SPIR-V binary.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" length)
math(EXPR remainder "${length} % 8")
if(length EQUAL 0 OR NOT remainder EQUAL 0)
  message(FATAL_ERROR "${INPUT} is not a SPIR-V binary (${length} hex digits)")
endif()
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1," words "${hex}")
string(REGEX REPLACE "((0x........,){8})" "\\1\n" words "${words}")
file(WRITE ${OUTPUT} "static const uint32_t spirv_${NAME}[] = {\n${words}\n};\n")
