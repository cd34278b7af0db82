# GPU tests (label gpu): the cuda backend on a real GPU. Each skips (exit
# 77, printing why) where the backend cannot run, so CI shows them skipped.
# Included from tests/CMakeLists.txt (after xm_add_test is defined).

# The CPU suites defined so far test the host implementation (some touch
# mappings from the CPU). On a machine with a GPU the default backend is
# cuda, so they are pinned to host; the gpu label runs those that make sense
# on GPU memory again below, on cuda.
get_property(xm_cpu_tests DIRECTORY PROPERTY TESTS)
foreach(t ${xm_cpu_tests})
  set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT EXTMEM_BACKEND=host)
endforeach()

xm_add_test(NAME test_gpu SOURCES gpu/test_gpu.c INTERNAL LABELS gpu)
if(EXTMEM_HAVE_CUDA_HEADERS)
  target_compile_definitions(test_gpu PRIVATE EXTMEM_HAVE_CUDA_BACKEND)
  target_include_directories(test_gpu SYSTEM PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
endif()

# The CPU suites again, unchanged, on GPU memory.
add_executable(on_cuda gpu/on_cuda.c)
target_link_libraries(on_cuda PRIVATE extmem_static)
target_compile_options(on_cuda PRIVATE ${EXTMEM_C_WARNINGS})
# (test_lifetime is not among them: it touches mappings from the CPU, which
# device memory does not allow.)
set(xm_on_cuda test_data test_sync)
if(EXTMEM_BUILD_EXAMPLES)
  list(APPEND xm_on_cuda seed_paths seed_paths_cxx extmem-demo) # examples/, defined later
endif()
foreach(t ${xm_on_cuda})
  add_test(NAME ${t}_on_cuda COMMAND on_cuda $<TARGET_FILE:${t}>)
  set_tests_properties(${t}_on_cuda PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
# And the synchronization suite with semaphore waits that block the
# calling thread instead of the stream (EXTMEM_GPU_WAITS=0).
add_test(NAME test_sync_on_cuda_host_waits COMMAND on_cuda $<TARGET_FILE:test_sync>)
set_tests_properties(test_sync_on_cuda_host_waits PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT EXTMEM_GPU_WAITS=0)

# The seed's import code in a CUDA program whose kernels write what it
# imported; built where nvcc is.
include(CheckLanguage)
check_language(CUDA)
if(CMAKE_CUDA_COMPILER AND EXTMEM_HAVE_CUDA_HEADERS)
  enable_language(CUDA)
  add_executable(seed_kernel gpu/seed_kernel.cu)
  set_target_properties(seed_kernel PROPERTIES CUDA_ARCHITECTURES 90 CUDA_STANDARD 17)
  target_compile_options(seed_kernel PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Werror>)
  target_link_libraries(seed_kernel PRIVATE extmem_static)
  add_test(NAME seed_kernel COMMAND seed_kernel)
  set_tests_properties(seed_kernel PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()

# Across processes on the GPU: tests/gpu/ipc_gpu_worker.cu (nvcc) is both the
# producer and the consumer; test_ipc_gpu starts them with its own broker
# (as test_ipc does), kills them at random points and checks the driver's
# free memory. Skips without the cuda backend or the worker.
if(CMAKE_CUDA_COMPILER AND EXTMEM_HAVE_CUDA_HEADERS)
  add_executable(ipc_gpu_worker gpu/ipc_gpu_worker.cu)
  set_target_properties(ipc_gpu_worker PROPERTIES CUDA_ARCHITECTURES 90 CUDA_STANDARD 17)
  target_compile_options(ipc_gpu_worker PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Werror>)
  target_link_libraries(ipc_gpu_worker PRIVATE extmem_static)
endif()
xm_add_test(NAME test_ipc_gpu SOURCES gpu/test_ipc_gpu.c gpu/gpu_worker.c INTERNAL LABELS gpu)
target_link_libraries(test_ipc_gpu PRIVATE xm_ipc_util) # tests/ipc.cmake
add_dependencies(test_ipc_gpu extmemd)
if(EXTMEM_HAVE_CUDA_HEADERS)
  target_compile_definitions(test_ipc_gpu PRIVATE EXTMEM_HAVE_CUDA_BACKEND)
  target_include_directories(test_ipc_gpu SYSTEM PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
endif()
if(TARGET ipc_gpu_worker)
  target_compile_definitions(test_ipc_gpu PRIVATE EXTMEM_TEST_GPU_WORKER="$<TARGET_FILE:ipc_gpu_worker>")
  add_dependencies(test_ipc_gpu ipc_gpu_worker)
endif()

# Synchronization across processes on the GPU: tests/gpu/sync_gpu_worker.cu
# (nvcc) is the D3D11 process and the CUDA process; test_sync_gpu runs the
# keyed-mutex and fence ping-pongs between them through its own broker and
# kills either. Skips without the cuda backend or the worker.
if(CMAKE_CUDA_COMPILER AND EXTMEM_HAVE_CUDA_HEADERS)
  add_executable(sync_gpu_worker gpu/sync_gpu_worker.cu)
  set_target_properties(sync_gpu_worker PROPERTIES CUDA_ARCHITECTURES 90 CUDA_STANDARD 17)
  target_compile_options(sync_gpu_worker PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Werror>)
  target_link_libraries(sync_gpu_worker PRIVATE extmem_static)
endif()
xm_add_test(NAME test_sync_gpu SOURCES gpu/test_sync_gpu.c gpu/gpu_worker.c INTERNAL LABELS gpu)
target_link_libraries(test_sync_gpu PRIVATE xm_ipc_util) # tests/ipc.cmake
add_dependencies(test_sync_gpu extmemd)
if(EXTMEM_HAVE_CUDA_HEADERS)
  target_compile_definitions(test_sync_gpu PRIVATE EXTMEM_HAVE_CUDA_BACKEND)
  target_include_directories(test_sync_gpu SYSTEM PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
endif()
if(TARGET sync_gpu_worker)
  target_compile_definitions(test_sync_gpu PRIVATE EXTMEM_TEST_SYNC_WORKER="$<TARGET_FILE:sync_gpu_worker>")
  add_dependencies(test_sync_gpu sync_gpu_worker)
endif()
