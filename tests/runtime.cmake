# Tests for the host implementation of CUDA's runtime subset (src/cuda/runtime.c).
# Included from tests/CMakeLists.txt (after xm_add_test is defined).

xm_add_test(NAME test_runtime SOURCES test_runtime.c INTERNAL)
