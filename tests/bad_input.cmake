xm_add_test(NAME test_bad_input SOURCES test_bad_input.c INTERNAL)
