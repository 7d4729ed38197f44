# Compile options shared by every coronet target (library, tests, bench, cli).
add_library(coronet_options INTERFACE)
target_compile_options(coronet_options INTERFACE -Wall -Wextra -Wno-unused-parameter
  $<$<BOOL:${CORONET_WERROR}>:-Werror>)
if(CORONET_SANITIZE)
  target_compile_options(coronet_options INTERFACE -fsanitize=${CORONET_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(coronet_options INTERFACE -fsanitize=${CORONET_SANITIZE})
endif()
