xm_add_test(NAME test_sync SOURCES test_sync.c INTERNAL LABELS concurrency)
target_link_libraries(test_sync PRIVATE Threads::Threads)
