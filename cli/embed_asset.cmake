# cmake -DIN=page.html -DOUT=page.cpp -DNAME=dashboard_page -P embed_asset.cmake
# Writes a C++ source defining `const char* const NAME` as IN's text, so the
# program serves its page without looking for files at run time.
file(READ "${IN}" content)
string(FIND "${content}" ")coronet_asset\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )coronet_asset\"")
endif()
file(WRITE "${OUT}" "// Generated from ${IN} by embed_asset.cmake.\nnamespace coronet::cli {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"coronet_asset(${content})coronet_asset\";\n}\n")
