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
    add_executable(calico_cuda_emu_test ${CALICO_CPU_SOURCES} ${_emu_cu} ${_emu_dir}/emu_probe.cpp ${_emu_dir}/emu_test.cpp)
    set_target_properties(calico_cuda_emu_test PROPERTIES CXX_STANDARD 20 RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
    target_compile_definitions(calico_cuda_emu_test PRIVATE CALICO_WITH_CUDA CALICO_CUDA_EMU CALICO_CUDA_ARCHS="emulated")
    target_include_directories(calico_cuda_emu_test PRIVATE ${_emu_dir} ${CMAKE_CURRENT_SOURCE_DIR}/src/main/cpp
                               ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
    target_compile_options(calico_cuda_emu_test PRIVATE -O2 -Wno-unused-parameter)
    find_package(Threads REQUIRED)
    target_link_libraries(calico_cuda_emu_test PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
    if(OpenMP_CXX_FOUND)
      target_link_libraries(calico_cuda_emu_test PRIVATE OpenMP::OpenMP_CXX)
    endif()
    message(STATUS "calico: CPU-emulated CUDA kernel check calico_cuda_emu_test enabled")
  else()
    message(STATUS "calico: calico_cuda_emu_test needs GCC >= 11 (C++20 <barrier>): not built")
  endif()
endif()
