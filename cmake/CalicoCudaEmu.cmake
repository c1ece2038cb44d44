# CalicoCudaEmu.cmake -- calico_cuda_emu_test: the CUDA kernels (cuda/*.cu) compiled as C++ against the CPU
# emulation in bench/gpu/emu/cuda_emu.h, linked with the CPU kernels, and a driver that compares every CUDA kernel
# with its CPU implementation on the same inputs. It checks the CUDA kernels' logic in CI without a GPU
# (CudaEmulationTest runs it). Needs C++20 <barrier> (GCC >= 11); skipped elsewhere or with -DCALICO_CUDA_EMU=OFF.
option(CALICO_CUDA_EMU "Build the CPU-emulated CUDA kernel check (calico_cuda_emu_test)" ON)

if(CALICO_CUDA_EMU)
  # std::barrier: libstdc++ of GCC >= 11 (the project's Linux toolchain); other compilers skip the check
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 11)
    set(_emu_dir ${CMAKE_CURRENT_SOURCE_DIR}/bench/gpu/emu)
    # The .cu files are included from generated .cpp wrappers (a LANGUAGE property on the .cu files themselves
    # would also change how the CUDA build of calico_kernels compiles them).
    set(_emu_cu)
    foreach(_cu attention attention_tc cam sam_upscale layer_norm skinny_gemm)
      set(_wrap ${CMAKE_CURRENT_BINARY_DIR}/cuda_emu/${_cu}_emu.cpp)
      set(_content "// generated: ${_cu}.cu compiled against the CPU emulation\n#include \"${_cu}.cu\"\n")
      set(_old "")
      if(EXISTS ${_wrap})
        file(READ ${_wrap} _old)
      endif()
      if(NOT _old STREQUAL _content)
        file(WRITE ${_wrap} "${_content}")
      endif()
      list(APPEND _emu_cu ${_wrap})
    endforeach()
    # The emulated kernel library: the C ABI of libcalico_kernels with device code 1 running the CUDA kernels on the
    # CPU. Named libcalico_kernels.so in its own folder (cuda-emu/), so that the Java binding can load it in place of
    # the real one (CudaEmulationJavaTest: the Java side's CUDA paths against it).
    add_library(calico_kernels_cuda_emu SHARED ${CALICO_CPU_SOURCES} ${_emu_cu} ${_emu_dir}/emu_probe.cpp)
    set_target_properties(calico_kernels_cuda_emu PROPERTIES CXX_STANDARD 20 OUTPUT_NAME calico_kernels
                          LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/cuda-emu)
    target_compile_definitions(calico_kernels_cuda_emu PRIVATE CALICO_WITH_CUDA CALICO_CUDA_EMU CALICO_CUDA_ARCHS="emulated")
    target_include_directories(calico_kernels_cuda_emu PUBLIC ${_emu_dir} ${CMAKE_CURRENT_SOURCE_DIR}/src/main/cpp
                               ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
    target_compile_options(calico_kernels_cuda_emu PRIVATE -O2 -Wno-unused-parameter)
    find_package(Threads REQUIRED)
    target_link_libraries(calico_kernels_cuda_emu PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
    if(OpenMP_CXX_FOUND)
      target_link_libraries(calico_kernels_cuda_emu PRIVATE OpenMP::OpenMP_CXX)
    endif()
    # the C++ driver comparing every CUDA kernel (emulated) with its CPU kernel, through the same library
    add_executable(calico_cuda_emu_test ${_emu_dir}/emu_test.cpp)
    set_target_properties(calico_cuda_emu_test PROPERTIES CXX_STANDARD 20 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
                          BUILD_RPATH ${CMAKE_BINARY_DIR}/cuda-emu)
    target_compile_options(calico_cuda_emu_test PRIVATE -O2 -Wno-unused-parameter)
    target_link_libraries(calico_cuda_emu_test PRIVATE calico_kernels_cuda_emu)
    message(STATUS "calico: CPU-emulated CUDA kernel check calico_cuda_emu_test enabled")
  else()
    message(STATUS "calico: calico_cuda_emu_test needs GCC >= 11 (C++20 <barrier>): not built")
  endif()
endif()
