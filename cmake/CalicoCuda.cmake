# CalicoCuda.cmake -- optional CUDA for the calico_kernels library.
#
# CALICO_CUDA=AUTO (default): compile cuda/*.cu when a CUDA compiler is found, else build the CPU-only
# library (cuda_stub.cpp answers "not compiled"). ON: fail without nvcc. OFF: never compile CUDA.
# Architectures: sm_80 and sm_90 SASS plus compute_90 PTX (override with CMAKE_CUDA_ARCHITECTURES).
# The CUDA runtime is linked statically, so the library loads where no CUDA runtime is installed and
# reports "no CUDA device" there.
include(CheckLanguage)
set(CALICO_CUDA "AUTO" CACHE STRING "Build the CUDA kernels: AUTO, ON or OFF")

if(NOT CALICO_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
endif()

if(CMAKE_CUDA_COMPILER AND NOT CALICO_CUDA STREQUAL "OFF")
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 80-real 90-real 90-virtual)
  endif()
  enable_language(CUDA)
  set(CALICO_HAVE_CUDA TRUE)
elseif(CALICO_CUDA STREQUAL "ON")
  message(FATAL_ERROR "CALICO_CUDA=ON but no CUDA compiler was found")
else()
  set(CALICO_HAVE_CUDA FALSE)
endif()

function(calico_add_cuda target)
  if(NOT CALICO_HAVE_CUDA)
    message(STATUS "calico: CUDA kernels NOT compiled (no nvcc); CPU kernels only")
    return()
  endif()
  file(GLOB cu_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
  target_sources(${target} PRIVATE ${cu_sources})
  string(REPLACE ";" "," archs "${CMAKE_CUDA_ARCHITECTURES}")
  target_compile_definitions(${target} PRIVATE CALICO_WITH_CUDA CALICO_CUDA_ARCHS="${archs}")
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-O3 --use_fast_math -lineinfo>)
  set_target_properties(${target} PROPERTIES CUDA_RUNTIME_LIBRARY Static CUDA_SEPARABLE_COMPILATION OFF)
  message(STATUS "calico: CUDA kernels compiled for ${CMAKE_CUDA_ARCHITECTURES}")
endfunction()
