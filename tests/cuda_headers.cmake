# Tests for the DXGI format table and extmem's CUDA-named types.
# Included from tests/CMakeLists.txt (after xm_add_test is defined).

xm_add_test(NAME test_format SOURCES test_format.c INTERNAL)

# Syntax checks of <extmem/cuda_compat.h> as C and C++, with extmem's own
# types and, where the toolkit headers are, CUDA's. Needs gcc/g++ (clang is
# checked where installed); skips the CUDA half by itself.
set(xm_cuda_include_dir "")
if(EXTMEM_HAVE_CUDA_HEADERS)
  list(GET CUDAToolkit_INCLUDE_DIRS 0 xm_cuda_include_dir)
endif()
add_test(NAME check_cuda_headers
         COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/check-cuda-headers.sh ${xm_cuda_include_dir})
set_tests_properties(check_cuda_headers PROPERTIES LABELS "headers")

# Our declarations against CUDA's, field by field: cuda_layout_cuda.c alone
# sees the toolkit headers (nothing is linked from CUDA).
if(EXTMEM_HAVE_CUDA_HEADERS)
  xm_add_test(NAME test_cuda_layout
              SOURCES test_cuda_layout.c cuda_layout_ours.c cuda_layout_cuda.c
              LABELS headers)
  set_source_files_properties(cuda_layout_cuda.c PROPERTIES
                              INCLUDE_DIRECTORIES "${CUDAToolkit_INCLUDE_DIRS}")
endif()
