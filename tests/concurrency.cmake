xm_add_test(NAME test_concurrency SOURCES test_concurrency.c INTERNAL LABELS concurrency)
target_link_libraries(test_concurrency PRIVATE Threads::Threads)
