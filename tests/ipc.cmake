# Cross-process tests (label ipc). Each test makes its own XDG_RUNTIME_DIR
# and starts the build's extmemd there, so runs never share a broker.
add_library(xm_ipc_util STATIC ipc_util.c)
target_link_libraries(xm_ipc_util PUBLIC xm_harness extmem_internal)
target_compile_definitions(xm_ipc_util PRIVATE _GNU_SOURCE
  PUBLIC EXTMEM_TEST_BROKER_PATH="$<TARGET_FILE:extmemd>" EXTMEM_TEST_CLI_PATH="$<TARGET_FILE:extmem_cli>")
target_compile_options(xm_ipc_util PRIVATE ${EXTMEM_C_WARNINGS})

foreach(t test_ipc test_crash)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
    xm_add_test(NAME ${t} SOURCES ${t}.c INTERNAL LABELS ipc)
    target_link_libraries(${t} PRIVATE xm_ipc_util)
    add_dependencies(${t} extmemd extmem_cli)
  endif()
endforeach()

# The broker's reply queue against the reading side, over a socketpair.
xm_add_test(NAME test_outbox SOURCES test_outbox.c ${PROJECT_SOURCE_DIR}/src/ipc/outbox.c INTERNAL LABELS ipc)
target_link_libraries(test_outbox PRIVATE xm_ipc_util)
