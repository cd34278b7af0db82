xm_add_test(NAME test_data SOURCES test_data.c INTERNAL)
